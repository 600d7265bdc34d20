# One image for the agent (`spinwise agent`) and the advisor (`spinwise advisor`).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src src
COPY test test
COPY bench bench
COPY deploy/dev deploy/dev
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:22-bookworm-slim
# virsh: the agent asks libvirt (libvirt hosts, KubeVirt's virt-launcher) for the KVM statistics
# of VMs whose QMP monitor libvirt holds (`virsh domstats --vcpu`, read-only socket).
RUN apt-get update && apt-get install -y --no-install-recommends libvirt-clients && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY bin bin
COPY scenarios scenarios
COPY src/dashboard/public src/dashboard/public
# The advisor runs as an unprivileged user; the chart runs the agent as root (host files).
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/spinwise.js"]
