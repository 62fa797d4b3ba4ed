# syntax=docker/dockerfile:1
# One image for every role of Skein: the command is the role.
#   docker build -t skein:0.1.0 .
#   docker run --rm -p 8080:8080 skein:0.1.0 up                       everything, embedded broker
#   docker run ... skein:0.1.0 core --bootstrap-servers kafka:9092     or agents, worker --tier small
# The same image can be built without a Docker daemon by Jib: mvn -Pimage package (app/pom.xml).
# docs/operations.md says what was and was not built and run where this file was written.

# --- build: the Maven reactor, tests skipped (CI runs them) ---------------------------------
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
# The poms first, so that the dependency layer is reused while only sources change.
COPY pom.xml ./
COPY schemas/pom.xml schemas/
COPY topologies/pom.xml topologies/
COPY adapters/pom.xml adapters/
COPY adapters/openai/pom.xml adapters/openai/
COPY adapters/langchain4j/pom.xml adapters/langchain4j/
COPY adapters/langgraph/pom.xml adapters/langgraph/
COPY adapters/a2a/pom.xml adapters/a2a/
COPY tool-workers/pom.xml tool-workers/
COPY ingress/pom.xml ingress/
COPY app/pom.xml app/
COPY bench/pom.xml bench/
COPY integration-tests/pom.xml integration-tests/
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -pl app -am dependency:go-offline -DskipTests || true
COPY . .
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -pl app -am -DskipTests package

# --- run: a JRE, the jar and its libraries, a user that is not root -------------------------
FROM eclipse-temurin:25-jre AS run
ARG SKEIN_UID=10001
# curl for the health checks of compose.yaml (the probes of Kubernetes need nothing in the image).
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid ${SKEIN_UID} skein \
 && useradd --system --uid ${SKEIN_UID} --gid skein --home-dir /var/lib/skein --shell /usr/sbin/nologin skein \
 && mkdir -p /var/lib/skein && chown skein:skein /var/lib/skein
# Libraries change less often than Skein's own jar: two layers.
COPY --from=build /src/app/target/lib/ /opt/skein/lib/
COPY --from=build /src/app/target/skein-app.jar /opt/skein/skein-app.jar
WORKDIR /var/lib/skein
# The state directory (RocksDB stores of core, the embedded broker of `up`): a volume, so that a
# restarted container keeps its sessions.
VOLUME ["/var/lib/skein"]
ENV SKEIN_DATA_DIR=/var/lib/skein \
    SKEIN_HTTP_HOST=0.0.0.0 \
    SKEIN_HTTP_PROBE_PORT=8081
# 8080: the HTTP API of core (and up); 8081: /health and /metrics of agents and worker.
EXPOSE 8080 8081
USER ${SKEIN_UID}:${SKEIN_UID}
# Container-aware memory: the heap is a share of the container's limit, not of the node's memory
# (RocksDB and Kafka's buffers live off the heap, hence 60%, not 75%). A JVM that runs out of
# memory exits, so the orchestrator restarts it instead of leaving it half alive. RocksDB loads a
# native library and Kafka uses sun.misc.Unsafe: both are allowed without warnings.
ENTRYPOINT ["java", \
    "-XX:+UseContainerSupport", "-XX:MaxRAMPercentage=60", "-XX:InitialRAMPercentage=25", \
    "-XX:+ExitOnOutOfMemoryError", \
    "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", \
    "-cp", "/opt/skein/skein-app.jar:/opt/skein/lib/*", "dev.skein.app.Skein"]
CMD ["--help"]
# No HEALTHCHECK here: the probe's port depends on the role (8080 for core and up, 8081 for agents
# and worker); compose.yaml and the Kubernetes manifests declare one per service.
