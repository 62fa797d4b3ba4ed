package dev.skein.app.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a JVM started from this one, with the same java binary and class path: the
 * child broker, the bench's and the tests' worker, node and load-generator processes. Each carries
 * this JVM's pid ({@link ParentWatch#PARENT_PID}) so that it stops when this one is gone.
 */
public final class ChildJvm {

    private ChildJvm() {}

    /** {@code java <jvmOptions> -cp <this JVM's class path> <mainClass> <args>}. */
    public static List<String> command(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(javaBinary());
        command.addAll(jvmOptions);
        command.add(
                "-D" + ParentWatch.PARENT_PID + "=" + ProcessHandle.current().pid());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(args);
        return List.copyOf(command);
    }

    private static String javaBinary() {
        return ProcessHandle.current()
                .info()
                .command()
                .orElseGet(() ->
                        Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
