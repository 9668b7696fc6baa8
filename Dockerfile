# syntax=docker/dockerfile:1
# One base image for both stages, pinned by digest so a rebuild gets the same bytes (a tag moves
# with every Node and Debian patch). This is the multi-platform index digest of
# docker.io/library/node:22-slim as resolved in a public build log; no registry was reachable
# where it was written, so check it on your first build. To update: run
# `docker buildx imagetools inspect node:22-slim`, copy the top "Digest:" line here, rebuild and
# run the tests. test/dockerfile.test.ts checks every FROM uses a name:tag@sha256:<64 hex> pin.
ARG NODE_IMAGE=node:22-slim@sha256:83f487e0a63425e5b4d146fb5e5be574bcbe1b7b843d3ebafdd95eaf7767a7e5

# Build stage: compiles TypeScript and the native SQLite addon with the same commands CI uses.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies and the compiled output only, as a non-root user.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    DEPGATE_HOST=0.0.0.0 \
    DEPGATE_PORT=8080 \
    DEPGATE_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/openapi ./openapi
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Probes where depgate listens: 127.0.0.1 when DEPGATE_HOST is a wildcard (0.0.0.0, ::), else the
# address itself (a container started with DEPGATE_HOST=10.1.2.3 listens on nothing else).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const h = process.env.DEPGATE_HOST || '0.0.0.0'; const host = h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? '[' + h + ']' : h; fetch('http://' + host + ':' + (process.env.DEPGATE_PORT || 8080) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/cli.js", "serve"]
