package dev.skein.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** Every command answers {@code --help} with its usage and exit code 0 (a new user's first try). */
class HelpTest {

    @ParameterizedTest
    @ValueSource(strings = {"up", "core", "agents", "worker", "keys", "keys add", "keys revoke", "keys hash"})
    void everyCommandHasHelp(String command) {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Skein());
        cli.setOut(new PrintWriter(out));
        String[] args = (command + " --help").split(" ");

        int exit = cli.execute(args);

        assertThat(exit).isZero();
        assertThat(out.toString()).startsWith("Usage: skein " + command);
    }
}
