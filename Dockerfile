# One build, one small runtime image per app:
#   docker build --target receiver         -t visage/receiver .
#   docker build --target image-processor  -t visage/image-processor .
#   docker build --target face-recognition -t visage/face-recognition .
#   docker build --target frontend         -t visage/frontend .
#   docker build --target migrate          -t visage/migrate .
# Every app target derives from the same `runtime` stage, so the four images share all their layers except the
# last few metadata lines (CMD, EXPOSE, HEALTHCHECK): built and pushed once, stored once.
# Needs BuildKit (Docker's default builder since 23.0) for `RUN --mount=type=cache`. Its built-in frontend handles
# that, so there is no `# syntax=` line: it would make BuildKit pull a frontend image, failing offline or behind a mirror.

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

# ---- all dependencies, to compile TypeScript
FROM toolchain AS build
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
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
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund \
 && if [ "$WITH_TFJS_NODE" != "true" ]; then rm -rf node_modules/@tensorflow/tfjs-node; fi
# onnxruntime-node's tarball carries ONNX Runtime for every platform (macOS, Windows, both Linux arches: 220 MB more
# than the image can use); only this platform's build is kept.
RUN find node_modules/onnxruntime-node/bin/napi-v6 -mindepth 2 -maxdepth 2 ! -path "*/linux/$(node -p process.arch)" -exec rm -rf {} +

# ---- runtime: no compilers (the npm cache stays in the build cache mount), root-owned read-only code, runs as the unprivileged `node` user
FROM ${NODE_IMAGE} AS runtime
# ORT_DISABLE_TELEMETRY: ONNX Runtime's built-in telemetry off (the apps set it too): nothing leaves the host.
ENV NODE_ENV=production \
    IMAGES_ROOT=/data/images \
    ORT_DISABLE_TELEMETRY=1
WORKDIR /app
# Face models (node_modules/@vladmandic/face-api/model, turned into ONNX graphs at start), ONNX Runtime's and the
# tfjs WASM binaries come with node_modules.
COPY --from=prod-deps /app/node_modules ./node_modules
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

# A plain `docker build .` builds the last stage: the recognizer.
FROM worker-runtime AS face-recognition
EXPOSE 50051 8083
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs", "FACE_RECOGNITION_HEALTH_PORT", "8083"]
CMD ["node", "dist/apps/face-recognition/src/main.js"]
