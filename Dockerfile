# One image for the agent (`spinwise agent`) and the advisor (`spinwise advisor`).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.prod.json ./
COPY scripts/copy-dashboard-page.mjs scripts/
COPY src src
# The production build: src/ without its tests (no test/, bench/ or deploy/dev), the dashboard included.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm run build:prod && npm prune --omit=dev

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
# The advisor runs as an unprivileged user; the chart runs the agent as root (host files).
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/spinwise.js"]
