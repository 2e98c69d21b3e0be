# syntax=docker/dockerfile:1
# One image per service, picked at build time:
#   docker build --build-arg SERVICE=scoring -t assay/scoring .
# SERVICE is one of: scoring, review, failure-catalog, gateway.
# TypeScript runs from source through the SWC loader (services/kit/register.mjs), so there is no
# build step: the runtime image is production dependencies plus the sources.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
# Only manifests first, so the dependency layer is reused until a manifest or the lockfile changes.
COPY package.json package-lock.json ./
COPY services/kit/package.json services/kit/
COPY services/scoring/package.json services/scoring/
COPY services/review/package.json services/review/
COPY services/failure-catalog/package.json services/failure-catalog/
COPY services/gateway/package.json services/gateway/
# Install scripts follow package.json "allowScripts" (@swc/core and the embedded-postgres binaries need theirs).
# The root devDependency `node` (a Node binary) is omitted; the base image already has Node 24.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts=false --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ARG SERVICE
# Fail the build, not the container, when SERVICE is missing or has no entry point.
RUN case "${SERVICE}" in \
      scoring|review|failure-catalog|gateway) ;; \
      *) echo "build arg SERVICE must be scoring, review, failure-catalog or gateway (got '${SERVICE}')" >&2; exit 1 ;; \
    esac
COPY --from=deps /app/node_modules ./node_modules
# Workspaces may have nested node_modules (version conflicts, e.g. services/kit/node_modules);
# copying the whole services/ tree from deps keeps them, the sources are laid over it below.
COPY --from=deps /app/services ./services
COPY package.json ./
COPY schema/ ./schema/
COPY services/ ./services/
# API keys (create, list, revoke) where the database is reachable, e.g. in a gateway pod:
#   node --import ./services/kit/register.mjs scripts/keys.ts create --tenant T --scopes read,write
# keys.ts and the one script it imports; the rest of scripts/ is for development.
COPY scripts/keys.ts scripts/embedded-database.ts ./scripts/
RUN test -f "services/${SERVICE}/src/main.ts" \
      || { echo "services/${SERVICE}/src/main.ts does not exist" >&2; exit 1; } \
    && mkdir -p /app/.assay && chown node:node /app/.assay

# The spool (ASSAY_DATA_DIR) is the one app directory the process writes; the code stays root-owned.
ENV NODE_ENV=production \
    ASSAY_HOST=0.0.0.0 \
    ASSAY_DATA_DIR=/app/.assay
ENV SERVICE=${SERVICE}
USER node

# Liveness only (/healthz): readiness (/readyz, dependencies) is checked by compose and Kubernetes.
# Each service has its own port variable, so compose sets HEALTH_PORT; the fallback keeps a bare
# `docker run` healthy on the default ports.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT||{gateway:4000,scoring:4001,review:4002,'failure-catalog':4003}[process.env.SERVICE])+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

# exec: node becomes PID 1 and receives SIGTERM itself, which starts the graceful shutdown.
CMD ["sh", "-c", "exec node --import ./services/kit/register.mjs services/$SERVICE/src/main.ts"]
