# Clinic Concierge: one image for the service, migrations and the seed.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY app ./app
COPY src ./src
COPY dialogs ./dialogs
COPY adapters ./adapters
COPY migrations ./migrations
COPY types ./types
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# The report chart draws its text in DejaVu Sans.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3978
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3978)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["sh", "-c", "node dist/src/db/migrate-cli.js up && if [ \"$SEED_DEMO\" = true ]; then node dist/src/db/seed-cli.js; fi && exec node dist/app/main.js"]
