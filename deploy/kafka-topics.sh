#!/usr/bin/env sh
# Creates spinwise's topics on an existing Kafka (kafka-topics.sh from the Kafka distribution on PATH).
#   BOOTSTRAP=kafka:9092 REPLICATION=3 deploy/kafka-topics.sh
# Samples, inventories and analyses are keyed by node name: 12 partitions bound the advisor replicas.
set -eu
: "${BOOTSTRAP:?set BOOTSTRAP to host:port of a broker}"
REPLICATION="${REPLICATION:-3}"
create() {
  kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$1" \
    --partitions "$2" --replication-factor "$REPLICATION" ${3:+--config "$3"}
}
create spinwise.samples.v1 12 retention.ms=86400000
create spinwise.inventory.v1 12 cleanup.policy=compact
create spinwise.analyses.v1 12 cleanup.policy=compact
create spinwise.findings.v1 12 cleanup.policy=compact
create spinwise.recommendations.v1 1 retention.ms=604800000
create spinwise.deadletter.v1 1 retention.ms=1209600000
create spinwise.alerts.v1 1 cleanup.policy=compact
