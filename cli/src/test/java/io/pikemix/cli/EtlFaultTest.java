package io.pikemix.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.DatasetInfo;
import io.pikemix.format.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pike etl} (a child JVM, {@code local[1]}) under faults: killed with SIGKILL while its tasks write shards,
 * then run again; and out of disk space (a 256 KB tmpfs in a private mount namespace). Nothing a failed run leaves
 * is ever read as a dataset, and the rerun's output equals an uninterrupted run's.
 */
@Tag("spark")
class EtlFaultTest {
    @TempDir
    static Path dir;

    static Path spec;

    /** Two domains of 6 jsonl files of ≈ 250 KB each (12 Spark tasks), cl100k_base, context 64. */
    @BeforeAll
    static void corpus() throws Exception {
        String[][] words = {
            {"the", "cat", "sat", "on", "a", "mat", "and", "looked", "at", "birds", "while", "rain", "fell"},
            {"ein", "Hund", "lief", "durch", "den", "Park", "und", "bellte", "laut", "heute", "am", "Abend"}
        };
        String[] names = {"alpha", "beta"};
        var rnd = new SplittableRandom(7);
        for (int k = 0; k < 2; k++) {
            Path d = dir.resolve("corpus").resolve(names[k]);
            Files.createDirectories(d);
            for (int f = 0; f < 6; f++) {
                var sb = new StringBuilder();
                while (sb.length() < 250_000) {
                    var text = new StringBuilder();
                    for (int w = 0; w < 200; w++)
                        text.append(words[k][rnd.nextInt(words[k].length)]).append(w % 15 == 14 ? ". " : " ");
                    sb.append("{\"text\": \"").append(text.toString().strip()).append("\"}\n");
                }
                Files.writeString(d.resolve(String.format("part-%d.jsonl", f)), sb.toString());
            }
        }
        spec = dir.resolve("corpus/faults.yaml");
        Files.writeString(spec, """
                tokenizer: cl100k_base
                context: 64
                val_fraction: 0.1
                domains:
                  - {name: alpha, format: jsonl, paths: [alpha/*.jsonl]}
                  - {name: beta, format: jsonl, paths: [beta/*.jsonl]}
                """);
    }

    static String[] etl(Path out) {
        return new String[] {
            "etl", "--spec", spec.toString(), "--out", out.toString(), "--master", "local[1]", "--progress-seconds", "0"
        };
    }

    /*
     * SIGKILL once a task has put a finished shard into OUT/_staging while others are still to run: OUT has no
     * dataset.json, so every reader refuses it (the staging files are never read as data); the same command run again
     * publishes a dataset equal to an uninterrupted run's (dataset.json, tokenizer, every row) and leaves no staging
     * or temporary file.
     */
    @Test
    void etlKilledMidWrite_rerunEqualsTheUninterruptedRun() throws Exception {
        Path logs = dir.resolve("logs-kill"), reference = dir.resolve("reference"), out = dir.resolve("out");
        try (Child c = Child.pike(logs, "reference", etl(reference))) {
            assertEquals(0, c.await(120), c.err());
        }
        Path staging = out.resolve("_staging");
        try (Child c = Child.pike(logs, "killed", etl(out))) {
            c.waitUntil(
                    "a finished shard in _staging",
                    120,
                    () -> !files(staging, ".parquet").isEmpty());
            c.kill();
        }
        assertFalse(Files.exists(out.resolve(DatasetInfo.FILE_NAME)), "a killed run published dataset.json");
        assertFalse(files(staging, ".parquet").isEmpty(), "the kill came after the staging files were gone");
        var e = assertThrows(UserException.class, () -> DatasetInfo.read(out.toString()));
        assertTrue(e.getMessage().contains("is not a dataset"), e.getMessage());
        MainTest.assertOneLineError(MainTest.run("inspect", out.toString()), "is not a dataset");

        try (Child c = Child.pike(logs, "rerun", etl(out))) {
            assertEquals(0, c.await(120), c.err());
        }
        assertSameDataset(reference, out);
        assertFalse(Files.exists(staging), "_staging left behind");
        assertEquals(List.of(), files(out, ".tmp"), "temporary files left behind");
    }

    /*
     * The output on a 256 KB tmpfs, the free-space guard off: the ETL stops with status 1 and one stderr line "error: ..." that says the
     * disk is full (no "internal error", no stack trace of ours); no dataset.json is published.
     */
    @Test
    void etlOnAFullDisk_isOneErrorLine_andPublishesNothing() throws Exception {
        Path logs = dir.resolve("logs-full");
        List<String> wrapper = TrainFaultTest.TmpfsWrapper.wrapper(dir.resolve("tmpfs"));
        Path mount = dir.resolve("mnt"), copy = dir.resolve("copy");
        Files.createDirectories(mount);
        Files.createDirectories(copy);
        var cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of(Integer.toString(256 * 1024), mount.toString(), copy.toString()));
        // --space-factor 0: past the up-front free-space guard (EtlCommandTest tests it), so the disk fills mid-write
        String[] args = java.util.stream.Stream.concat(
                        java.util.Arrays.stream(etl(mount.resolve("data"))),
                        java.util.stream.Stream.of("--space-factor", "0"))
                .toArray(String[]::new);
        try (Child c = Child.start(logs, "disk-full", cmd, args)) {
            int status = c.await(120);
            String err = c.err().strip();
            assertEquals(1, status, err);
            // Spark's own executor threads may still log after our error line (they race the shutdown), so the
            // check is on our lines: exactly one "error:" line, and it names the full disk
            List<String> ours = err.lines().filter(l -> l.startsWith("error: ")).toList();
            assertEquals(1, ours.size(), err);
            assertTrue(
                    ours.get(0).startsWith("error: disk full: ") && ours.get(0).contains("No space left on device"),
                    err);
            assertFalse(err.contains("internal error"), err);
        }
        assertTrue(Files.isDirectory(copy.resolve("data")), "the ETL did not start writing");
        assertFalse(Files.exists(copy.resolve("data").resolve(DatasetInfo.FILE_NAME)), "a dataset was published");
    }

    /** dataset.json (less the spec's absolute path) and every shard's rows in order. */
    static void assertSameDataset(Path expected, Path actual) throws java.io.IOException {
        var mapper = DatasetInfo.mapper();
        var a = (com.fasterxml.jackson.databind.node.ObjectNode)
                mapper.readTree(expected.resolve(DatasetInfo.FILE_NAME).toFile());
        var b = (com.fasterxml.jackson.databind.node.ObjectNode)
                mapper.readTree(actual.resolve(DatasetInfo.FILE_NAME).toFile());
        assertEquals(a, b, "dataset.json differs");
        List<Path> shards = files(expected, ".parquet").stream()
                .map(expected::relativize)
                .sorted()
                .toList();
        assertEquals(
                shards,
                files(actual, ".parquet").stream()
                        .map(actual::relativize)
                        .sorted()
                        .toList(),
                "shard files");
        long rows = 0;
        for (Path s : shards) {
            var x = io.pikemix.format.ShardReader.read(expected.resolve(s).toString(), -1);
            var y = io.pikemix.format.ShardReader.read(actual.resolve(s).toString(), -1);
            assertEquals(x.size(), y.size(), s + ": rows");
            for (int i = 0; i < x.size(); i++) {
                assertEquals(x.get(i).seqId(), y.get(i).seqId(), s + " row " + i + ": seq_id");
                assertArrayEquals(x.get(i).tokens(), y.get(i).tokens(), s + " row " + i + ": tokens");
            }
            rows += x.size();
        }
        assertTrue(rows > 1000, "only " + rows + " rows");
    }

    /** Regular files under {@code root} whose names end with {@code suffix} (none when root does not exist). */
    static List<Path> files(Path root, String suffix) {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).toList();
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return List.of(); // a file renamed or deleted during the walk
        }
    }
}
