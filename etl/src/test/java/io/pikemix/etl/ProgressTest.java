package io.pikemix.etl;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The progress line moves while tasks run, not only when a task ends ({@link Meter}), on {@code local[2]}: two tasks
 * of 4 and 6 MB, each publishing its counts every {@link Meter#FLUSH_BYTES}. Had counts arrived only with finished
 * tasks, the total MB shown could only be 0, ≈ 4, ≈ 6 or ≈ 10; a line showing more than 0 and less than 3.6 MB was
 * printed while both tasks were running. And the lines are log-file lines: no carriage return, one per interval.
 */
@Tag("spark")
class ProgressTest {
    @TempDir
    Path dir;

    static final Pattern TOTAL = Pattern.compile("\\| total ([0-9,]+) docs ([0-9.]+) MB ");

    static void text(Path file, long bytes) throws Exception {
        var sb = new StringBuilder();
        for (int i = 0; sb.length() < bytes; i++)
            sb.append("Paragraph ")
                    .append(i)
                    .append(" of ")
                    .append(file.getFileName())
                    .append(": the committee met on a Tuesday and reviewed the harbour accounts for the year ")
                    .append(1800 + i % 200)
                    .append(", finding nothing amiss.\n\n");
        Files.writeString(file, sb);
    }

    @Test
    void progressLine_movesWhileTasksRun_inLogFileLines() throws Exception {
        Files.createDirectories(dir.resolve("in"));
        text(dir.resolve("in/a.txt"), 4_000_000);
        text(dir.resolve("in/b.txt"), 6_000_000);
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(
                spec,
                "tokenizer: cl100k_base\ncontext: 64\nsplit_bytes: 65536\ndomains:\n"
                        + "  - {name: d, format: text, doc_separator: blank_line, paths: [in/*.txt]}\n");
        var console = new ByteArrayOutputStream();
        long interval = 20;
        SparkSession spark = SparkSession.builder()
                .master("local[2]")
                .appName("ProgressTest")
                .config("spark.ui.enabled", "false")
                .config("spark.hadoop." + LocalFileSystem.KEY, LocalFileSystem.class.getName())
                .getOrCreate();
        long t0 = System.nanoTime();
        try {
            new EtlJob(
                            spark,
                            new EtlConfig(
                                    CorpusSpecs.load(spec), dir.resolve("out").toString(), false, interval),
                            new PrintStream(console, true, StandardCharsets.UTF_8))
                    .run();
        } finally {
            spark.stop();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        String out = console.toString(StandardCharsets.UTF_8);
        assertFalse(out.contains("\r"), "no carriage returns: the same lines in a terminal and in a log file");
        List<Double> mb = new ArrayList<>();
        for (String line : out.split("\n")) {
            Matcher m = TOTAL.matcher(line);
            if (m.find()) {
                assertTrue(line.startsWith("etl | d "), line);
                mb.add(Double.parseDouble(m.group(2)));
            }
        }
        assertTrue(mb.size() >= 2, out);
        assertTrue(
                mb.size() <= seconds * 1000 / interval + 2,
                "at most one line per interval: " + mb.size() + " lines in " + seconds + " s");
        assertEquals(10.0, mb.get(mb.size() - 1), 0.1, "the last line counts all input"); // printed after the job
        for (int i = 1; i < mb.size(); i++) assertTrue(mb.get(i) >= mb.get(i - 1), "never backwards: " + mb);
        assertTrue(
                mb.stream().anyMatch(v -> v > 0 && v < 3.6),
                "a line between 0 and the smaller task's 4 MB, so counted while tasks ran: " + mb);
    }
}
