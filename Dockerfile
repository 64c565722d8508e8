# One image for every app; APP picks which one runs (see docker-compose.yml).
# Node 24, an LTS line (Node 20 reached its end of life in April 2026); the code also runs on Node 20.19+.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./
USER node
ARG APP=command-service
ENV APP=${APP}
CMD ["sh", "-c", "exec node --enable-source-maps dist/apps/${APP}/src/main.js"]
