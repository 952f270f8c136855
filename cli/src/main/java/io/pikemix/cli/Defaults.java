package io.pikemix.cli;

import java.nio.file.Path;

/** Where the CLI finds the embedded corpus: {@code -Dpike.home} (set by bin/pike), else the working directory. */
final class Defaults {
    private Defaults() {}

    static Path home() {
        String h = System.getProperty("pike.home");
        return Path.of(h == null ? "." : h).toAbsolutePath().normalize();
    }

    /** The spec used when no --spec is given: the embedded English multi-genre corpus (the paper's GLaM setting). */
    static Path defaultSpec() {
        return home().resolve("corpus/genres.yaml");
    }

    /** The dataset directory used when no --out is given: data/&lt;spec name&gt; under the working directory. */
    static Path defaultOut(Path spec) {
        String name = spec.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        return Path.of("data", name);
    }
}
