# One build, one small runtime image per app:
#   docker build --target receiver         -t visage/receiver .
#   docker build --target image-processor  -t visage/image-processor .
#   docker build --target face-recognition -t visage/face-recognition .
#   docker build --target frontend         -t visage/frontend .
#   docker build --target migrate          -t visage/migrate .
# Every app target derives from the same `runtime` stage, so the four images share all their layers except the
# last few metadata lines (CMD, EXPOSE, HEALTHCHECK) and the recognizer's own packages (one more layer): built and
# pushed once, stored once.
# Builds with BuildKit and with the classic builder alike (docker-compose 1.29 uses the classic one unless
# COMPOSE_DOCKER_CLI_BUILD=1 DOCKER_BUILDKIT=1 are set): no `RUN --mount`, which only BuildKit knows, and no `# syntax=`
# line, which would make BuildKit pull a frontend image, failing offline or behind a mirror.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- toolchain: only the build stages have compilers (better-sqlite3 falls back to node-gyp without a prebuild)
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# onnxruntime-node's install script would fetch its CUDA provider from nuget on linux/x64; the recognizer runs ORT's
# CPU provider, whose binaries ship in the npm package, so nothing is downloaded besides the registry's tarballs.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
# package.json's overrides point the build tools faceplugin-face-recognition-js declares at this empty package
# (`file:` links): `npm ci` fails without it, so every stage that installs gets it from here.
COPY scripts/npm-stub/package.json ./scripts/npm-stub/

# ---- all dependencies, to compile TypeScript
FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY proto ./proto
COPY libs ./libs
COPY apps ./apps
RUN npm run build \
 # Non-TypeScript assets the frontend serves, kept at the same relative place as in the source tree.
 && mkdir -p /out/apps/frontend/src \
 && for dir in views public; do \
      if [ -d "apps/frontend/src/$dir" ]; then cp -r "apps/frontend/src/$dir" /out/apps/frontend/src/; fi; \
    done

# ---- production dependencies only, native modules compiled here against the same Node as the runtime
FROM toolchain AS prod-deps
# The recognizer runs face-api's networks on ONNX Runtime (onnxruntime-node: prebuilt N-API binding + libonnxruntime,
# glibc x64/arm64, no compiler needed at run time), TensorFlow.js WASM as its fallback. tfjs-node is an optional native binding (300+ MB of libtensorflow,
# downloaded at install time) that the recognizer prefers when present: faster, but much bigger, and present or not
# depending on the build's network. Dropped unless asked for (--build-arg WITH_TFJS_NODE=true), so images are the same
# wherever they are built.
ARG WITH_TFJS_NODE=false
RUN npm ci --omit=dev --no-audit --no-fund \
 && if [ "$WITH_TFJS_NODE" != "true" ]; then rm -rf node_modules/@tensorflow/tfjs-node; fi
# onnxruntime-node's tarball carries ONNX Runtime for every platform (macOS, Windows, both Linux arches: 220 MB more
# than the image can use); only this platform's build is kept.
RUN find node_modules/onnxruntime-node/bin/napi-v6 -mindepth 2 -maxdepth 2 ! -path "*/linux/$(node -p process.arch)" -exec rm -rf {} +
# Two better-sqlite3 builds are installed because 12 aborts Node >= 24.19 and 13 crashes Node 20 (npm ls better-sqlite3:
# 12 is the direct dependency TypeORM's peer also names, 13 the alias better-sqlite3-v13); on this image's Node 24 the
# apps load 13 (betterSqlite3ForThisNode), so 12 and what only it needs (prebuild-install …) go. 13 loads its prebuilt
# binding from prebuilds/: this platform's is kept, the SQLite sources and other platforms' builds go.
# faceplugin-face-recognition-js is read for one file, never loaded: --files-only drops the build tools it declares
# as dependencies (eslint, webpack, terser…: 114 packages, 40 MB) and the overrides' links to scripts/npm-stub.
COPY deploy/docker/prune-node-modules.mjs ./deploy/docker/
RUN node deploy/docker/prune-node-modules.mjs --files-only faceplugin-face-recognition-js better-sqlite3 \
 && find node_modules/better-sqlite3-v13/prebuilds -type f ! -name "linux-$(node -p process.arch).node" -delete \
 && rm -rf node_modules/better-sqlite3-v13/deps node_modules/better-sqlite3-v13/src node_modules/better-sqlite3-v13/build
# Of faceplugin's package the `mobilefacenet` recipe's net (engine/runtime.ts, mobileFaceNetModelPath), LICENSE and
# package.json (require.resolve finds the package by it) stay; its other models, OpenCV.js and lib/ (41 MB) go.
# `test -f` fails the build if another version of the package moved the model.
RUN dir=node_modules/faceplugin-face-recognition-js \
 && find "$dir" ! -type d ! -path "$dir/model/fr_feature.onnx" ! -path "$dir/LICENSE" ! -path "$dir/package.json" -delete \
 && find "$dir" -mindepth 1 -type d -empty -delete \
 && test -f "$dir/model/fr_feature.onnx"

# ---- what every app but the recognizer loads: TensorFlow.js (the WASM fallback), face-api (its networks become
# ONNX graphs in the recognizer) and faceplugin's MobileFaceNet are the recognizer's alone (290 MB, and the 5 MB
# model); moved aside here for its image to copy back.
FROM prod-deps AS app-deps
RUN node deploy/docker/prune-node-modules.mjs --move-to /recognizer-deps @tensorflow/tfjs @tensorflow/tfjs-backend-wasm @tensorflow/tfjs-node @vladmandic/face-api faceplugin-face-recognition-js

# ---- runtime: no compilers (the npm cache stays in the build stages), root-owned read-only code, runs as the unprivileged `node` user
FROM ${NODE_IMAGE} AS runtime
# ORT_DISABLE_TELEMETRY: ONNX Runtime's built-in telemetry off (the apps set it too): nothing leaves the host.
ENV NODE_ENV=production \
    IMAGES_ROOT=/data/images \
    ORT_DISABLE_TELEMETRY=1
WORKDIR /app
# ONNX Runtime (the matcher's gallery scan, the recognizer), sharp and the database drivers come with node_modules;
# the recognizer adds its own packages (below).
COPY --from=app-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /out/ ./
COPY package.json ./
# gRPC loads the .proto contract at run time.
COPY proto ./proto
COPY deploy/docker/healthcheck.mjs ./deploy/docker/healthcheck.mjs
# Numeric uid:gid of the image's `node` user: Kubernetes can only verify runAsNonRoot against a number.
USER 1000:1000

FROM runtime AS migrate
HEALTHCHECK NONE
CMD ["node", "dist/libs/persistence/src/migrate.js"]

FROM runtime AS receiver
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs", "RECEIVER_PORT", "8000"]
CMD ["node", "dist/apps/receiver/src/main.js"]

# The apps that decode images and run ONNX Runtime in worker threads (deploy/apps.ts, WORKER_MALLOC_ENV: glibc would
# otherwise give every thread its own arenas and carve freed multi-megabyte buffers from them, so RSS crept up).
FROM runtime AS worker-runtime
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072

FROM worker-runtime AS image-processor
EXPOSE 8082
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs", "PROCESSOR_HEALTH_PORT", "8082"]
CMD ["node", "dist/apps/image-processor/src/main.js"]

FROM runtime AS frontend
EXPOSE 8081
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs", "FRONTEND_PORT", "8081"]
CMD ["node", "dist/apps/frontend/src/main.js"]

# A plain `docker build .` builds the last stage: the recognizer. It alone gets face-api (its models:
# node_modules/@vladmandic/face-api/model, turned into ONNX graphs at start), TensorFlow.js with the WASM fallback and
# faceplugin's MobileFaceNet (node_modules/faceplugin-face-recognition-js/model/fr_feature.onnx).
FROM worker-runtime AS face-recognition
COPY --from=app-deps /recognizer-deps/node_modules ./node_modules
EXPOSE 50051 8083
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs", "FACE_RECOGNITION_HEALTH_PORT", "8083"]
CMD ["node", "dist/apps/face-recognition/src/main.js"]
