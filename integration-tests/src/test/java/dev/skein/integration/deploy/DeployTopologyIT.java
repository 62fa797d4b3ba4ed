package dev.skein.integration.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.bench.BenchCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The manifests' process topology on this machine ({@code skein bench topology --quick}): three
 * brokers, two cores, one agent runner and a small and a large worker pool, each a process of its
 * own started from deploy/base/skein.conf (the ConfigMap's file), under tool and plain turns; a
 * core, the agents, a worker and a broker are SIGKILLed in turn and come back (as their
 * StatefulSet, Deployment or Strimzi would bring them back). Every turn is answered exactly once
 * and no history has a gap or a duplicate.
 */
@Tag("deploy")
class DeployTopologyIT {

    @TempDir
    Path out;

    @Test
    void turnsKeepBeingAnsweredWhenOneProcessOfEachRoleIsKilled() throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "topology",
                "--quick",
                "--config",
                DeployFiles.deploy().resolve("base/skein.conf").toString(),
                "--out",
                out.toString()));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new BenchCommand()).execute(args.toArray(String[]::new));
        } finally {
            System.setOut(previous);
        }
        String printed = console.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        JsonNode report = new ObjectMapper().readTree(out.resolve("soak.json").toFile());

        assertThat(report.path("defects")).as(printed).isEmpty();
        assertThat(report.path("turnsSent").asLong()).isEqualTo(200);
        assertThat(report.path("sendFailures").asLong()).as(printed).isZero();
        assertThat(report.path("withoutCompletion").asLong()).as(printed).isZero();
        assertThat(report.path("withMoreThanOneCompletion").asLong())
                .as(printed)
                .isZero();
        assertThat(report.path("completionsOfUnknownTurns").asLong()).isZero();
        assertThat(report.path("wrongAnswers").asLong()).as(printed).isZero();
        assertThat(report.path("duplicates").asLong()).as(printed).isZero();
        assertThat(report.path("gaps").asLong()).as(printed).isZero();
        assertThat(report.path("missingFromHistory").asLong()).as(printed).isZero();
        assertThat(report.path("killsByRole").fieldNames())
                .as(printed)
                .toIterable()
                .contains("core", "agents", "worker", "broker");
        assertThat(exit).as(printed).isZero();
    }
}
