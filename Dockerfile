# syntax=docker/dockerfile:1
#
# Aura Authentication API: production image.
#
#   docker build -t aura-authentication-api:1.0.0 .
#
# In Kubernetes it runs through the Helm chart in helm/ (read-only root
# filesystem, an emptyDir on /tmp, DATABASE_URL required). Locally, with the
# embedded PostgreSQL (PGlite) kept in a volume:
#
#   docker run --rm -p 3000:3000 --read-only --tmpfs /tmp \
#     -v aura-data:/app/data -e NODE_ENV=development aura-authentication-api:1.0.0
#
# The operator CLI is in the image:
#   docker run --rm -e DATABASE_URL=... aura-authentication-api:1.0.0 dist/cli/main.js api-keys list
#
# No HEALTHCHECK: Kubernetes probes GET /healthz (see the chart).

# The LTS line CI tests on (.nvmrc): Node 24, supported until 2028-04-30.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: every dependency, TypeScript compiled to dist/ -----------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Install scripts are not run: no dependency needs one (the only ones are a
# telemetry ping and a watcher's source-build fallback). If one ever does,
# add `npm rebuild <package>` after this line.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# dist/main.js, dist/cli/main.js and dist/migrations/.
RUN npm run build

# ---- prod-deps: production dependencies only -------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ----------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="aura-authentication-api" \
      org.opencontainers.image.description="Identity gate of the Aura chatbot platform" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

# npm, npx, corepack and yarn are not needed at run time (the app and the CLI
# are started with node directly): remove them and what they bundle.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*

# The heap bound matters: without it V8 lets the heap grow far past what the service needs. A young
# generation larger than the default lets per-request garbage die there instead of being promoted: about
# half the CPU per request and a third of the tail latency (README, Performance). Same flags as `npm start`.
# Raise the old space together with the memory limit of the pod (values.yaml: resources.limits.memory).
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=16" \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data

WORKDIR /app
# Code and dependencies stay owned by root: the app cannot modify itself.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The only directory the app writes to, and only in the embedded (PGlite)
# mode; with DATABASE_URL nothing is written outside /tmp.
RUN mkdir -p /app/data && chown 1000:1000 /app/data

# The base image's `node` user, by number so Kubernetes can verify
# runAsNonRoot.
USER 1000:1000
EXPOSE 3000
STOPSIGNAL SIGTERM

# node is PID 1 (no shell, no npm, no docker-entrypoint.sh in between), so
# SIGTERM reaches the app, which drains for SHUTDOWN_TIMEOUT_MS and exits 0.
ENTRYPOINT ["node"]
CMD ["dist/main.js"]
