package dev.skein.integration.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The deployment files of the repository (compose.yaml, deploy/), read as YAML documents, and the
 * rendering of a kustomization by the {@code kustomize} or {@code kubectl} found on the PATH.
 */
final class DeployFiles {

    private DeployFiles() {}

    /** The repository's root: the first directory up from the working directory with compose.yaml. */
    static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("compose.yaml")) && Files.isDirectory(dir.resolve("deploy"))) {
                return dir;
            }
        }
        throw new IllegalStateException(
                "no compose.yaml and deploy/ above " + Path.of("").toAbsolutePath());
    }

    static Path deploy() {
        return root().resolve("deploy");
    }

    /** Every YAML document of a file, merge keys ({@code <<}) resolved; empty documents left out. */
    static List<Map<String, Object>> documents(String yaml) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml(options).loadAll(yaml)) {
            if (document != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = (Map<String, Object>) document;
                documents.add(map);
            }
        }
        return documents;
    }

    static List<Map<String, Object>> documents(Path file) {
        return documents(read(file));
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The files a kustomization (or component) lists under {@code resources}, and theirs when one is
     * a directory: the raw manifests, before any patch.
     */
    static List<Path> resources(Path kustomizationDir) {
        Map<String, Object> kustomization =
                documents(kustomizationDir.resolve("kustomization.yaml")).getFirst();
        List<Path> files = new ArrayList<>();
        @SuppressWarnings("unchecked")
        List<String> listed = (List<String>) kustomization.getOrDefault("resources", List.of());
        for (String entry : listed) {
            Path path = kustomizationDir.resolve(entry).normalize();
            if (Files.isDirectory(path)) {
                files.addAll(resources(path));
            } else {
                files.add(path);
            }
        }
        return files;
    }

    /** The command that renders a kustomization here, if any: kustomize, else kubectl's built-in one. */
    static Optional<List<String>> renderer() {
        for (List<String> command : List.of(List.of("kustomize", "build"), List.of("kubectl", "kustomize"))) {
            if (onPath(command.getFirst())) {
                return Optional.of(command);
            }
        }
        return Optional.empty();
    }

    /** What {@code kustomize build dir} prints: every resource, patched, generated and named. */
    static String render(List<String> renderer, Path dir) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(renderer);
        command.add(dir.toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        byte[] out = process.getInputStream().readAllBytes();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + err);
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
