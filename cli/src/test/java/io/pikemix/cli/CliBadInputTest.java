package io.pikemix.cli;

import static io.pikemix.cli.MainTest.assertOneLineError;
import static io.pikemix.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input through the CLI (issue 16, docs/reliability.md): a corpus spec given to {@code pike etl --spec} and a
 * statistics file given to {@code pike weights --stats}. Each is one line, {@code error: ...}, on stderr, exit
 * status 2, no stack trace ({@link MainTest#assertOneLineError}), and nothing written: the spec is refused before
 * Spark starts, so no output directory appears.
 */
class CliBadInputTest {
    @TempDir
    Path dir;

    static Arguments c(String name, String text, String says) {
        return Arguments.of(Named.of(name, text), says);
    }

    static final String D = "domains:\n  - {name: a, format: text, paths: [x.txt]";

    static Stream<Arguments> specs() {
        return Stream.of(
                c("YAML that is a list", "- a\n- b\n", "expected a mapping with a 'domains' list"),
                c("YAML that is a scalar", "just words\n", "expected a mapping with a 'domains' list"),
                c("an empty file", "", "expected a mapping with a 'domains' list"),
                c("YAML that does not parse", "domains: [ {name: a\n", "not valid YAML"),
                c("'domains' a mapping", "domains: {a: 1}\n", "'domains' must be a list"),
                c("a domain that is a string", "domains: [a]\n", "'domains[0]' must be a mapping"),
                c(
                        "a domain without a name",
                        "domains:\n  - {format: text, paths: [x.txt]}\n",
                        "missing key 'domains[0].name'"),
                c(
                        "an empty domain name",
                        "domains:\n  - {name: '', format: text, paths: [x.txt]}\n",
                        "'domains[0].name' must be a non-empty string"),
                c(
                        "a domain named '..' (would write outside --out)",
                        "domains:\n  - {name: '..', format: text, paths: [x.txt]}\n",
                        "must match [A-Za-z0-9_.-]+, got '..'"),
                c(
                        "a domain name with a slash",
                        "domains:\n  - {name: a/b, format: text, paths: [x.txt]}\n",
                        "got 'a/b'"),
                c(
                        "duplicate domain names",
                        D + "}\n  - {name: a, format: text, paths: [y.txt]}\n",
                        "duplicate domain name 'a'"),
                c("a prior of NaN", D + ", prior: .nan}\n", "Malformed numeric value '.nan'"),
                c("a prior of infinity", D + ", prior: .inf}\n", "Malformed numeric value '.inf'"),
                c("a negative prior", D + ", prior: -1}\n", "prior' must be a finite number >= 0, got -1.0"),
                c("a prior that is a word", D + ", prior: heavy}\n", "prior"),
                c("an unknown top-level key", "colour: red\n" + D + "}\n", "unknown key 'colour'"),
                c("an unknown domain key", D + ", weight: 2}\n", "unknown key 'domains[0].weight'"),
                c("a context of 0", "context: 0\n" + D + "}\n", "'context' must be in [1, 1048576], got 0"),
                c(
                        "a context of 2^32 + 16 (was read as 16)",
                        "context: 4294967312\n" + D + "}\n",
                        "'context' must be in [1, 1048576]"),
                c("paths that are not a list of strings", D.replace("[x.txt]", "[{a: 1}]") + "}\n", "paths"),
                c(
                        "an unknown format",
                        D.replace("format: text", "format: csv") + "}\n",
                        "must be one of [jsonl, text, parquet]"));
    }

    @ParameterizedTest(name = "spec: {0}")
    @MethodSource("specs")
    void etl_badSpec_isOneLineAndWritesNothing(String yaml, String says) throws Exception {
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, yaml);
        Path out = dir.resolve("out");
        assertOneLineError(run("etl", "--spec", spec.toString(), "--out", out.toString()), says);
        assertFalse(Files.exists(out), "nothing written");
    }

    static Stream<Arguments> stats() {
        return Stream.of(
                c("NaN", "{\"grad_norm_sq\": [1, 2], \"grad_var\": [NaN, 1]}", "is not valid JSON"),
                c(
                        "\"NaN\" as a string",
                        "{\"grad_norm_sq\": [1, 2], \"grad_var\": [\"NaN\", 1]}",
                        "grad_var[0] is \"NaN\", not a number"),
                c(
                        "+infinity (1e400)",
                        "{\"grad_norm_sq\": [1, 2], \"grad_var\": [1e400, 1]}",
                        "grad_var[0] = Infinity must be finite and > 0"),
                c(
                        "-infinity (-1e400)",
                        "{\"grad_norm_sq\": [-1e400, 2], \"grad_var\": [1, 1]}",
                        "grad_norm_sq[0] = -Infinity"),
                c("Infinity token", "{\"grad_norm_sq\": [Infinity, 2], \"grad_var\": [1, 1]}", "is not valid JSON"),
                c(
                        "a negative variance",
                        "{\"grad_norm_sq\": [1, 2], \"grad_var\": [1, -2]}",
                        "grad_var[1] = -2.0 must be finite and > 0"),
                c(
                        "a NaN loss (string)",
                        "{\"grad_norm_sq\": [1, 2], \"grad_var\": [1, 1], \"loss\": [1, \"nan\"]}",
                        "loss[1] is \"nan\", not a number"),
                c(
                        "lengths that differ",
                        "{\"grad_norm_sq\": [1, 2, 3], \"grad_var\": [1, 1]}",
                        "grad_norm_sq has 3 entries, grad_var 2; they must match"),
                c(
                        "more domains than --weights",
                        "{\"grad_norm_sq\": [1, 2, 3], \"grad_var\": [1, 1, 1]}",
                        "--weights has 2 entries but"),
                c(
                        "an empty array",
                        "{\"grad_norm_sq\": [], \"grad_var\": []}",
                        "'grad_norm_sq' must be a non-empty array of numbers"),
                c("a list, not an object", "[1, 2]", "must hold one JSON object"),
                c("an empty file", "", "must hold one JSON object"));
    }

    @ParameterizedTest(name = "stats: {0}")
    @MethodSource("stats")
    void weights_badStatisticsFile_isOneLine(String json, String says) throws Exception {
        Path f = dir.resolve("stats.json");
        Files.writeString(f, json);
        assertOneLineError(
                run(
                        "weights",
                        "--strategy",
                        json.contains("loss") ? "fair-pike" : "pike",
                        "--weights",
                        "0.5,0.5",
                        "--stats",
                        f.toString()),
                says);
    }
}
