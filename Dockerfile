# syntax=docker/dockerfile:1
# One image for every app of the repository: it holds the whole workspace and runs the app named by APP
# straight from its TypeScript sources, the way `npm start` does:
#   node -r ./scripts/register.js apps/$APP/src/main.ts
#
#   docker build -t platform .
#   docker run --init -e APP=deployer -e DATABASE_URL=... -e NATS_URL=... platform
#
# NODE_IMAGE is any Debian-based Node.js 20 image; without Docker Hub, pass a locally built one
# (--build-arg NODE_IMAGE=...).
ARG NODE_IMAGE=node:20-bookworm-slim

# -- the npm manifests alone, so that the dependency layer below is rebuilt only when one of them changes
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && cp package.json package-lock.json /manifests/ \
 && find apps libs -mindepth 2 -maxdepth 2 -name package.json -exec cp --parents {} /manifests/ \;

# -- the workspace: dependencies, then sources
FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
COPY --from=manifests /manifests/ ./
# Development dependencies included: @swc-node/register compiles the TypeScript sources when they load.
RUN npm ci --no-audit --no-fund --include=dev && npm cache clean --force
COPY . .
USER node
# The app to run; every app is apps/<name>/src/main.ts.
ENV APP=deployer
CMD ["sh", "-c", "exec node -r ./scripts/register.js \"apps/${APP}/src/main.ts\""]
