package io.pikemix.etl;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.DatasetInfo;
import io.pikemix.format.UserException;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input is a counted skip or a clear error, never a silent loss (foundation issue, "What it must show"). */
@Tag("spark")
class BadInputTest {
    static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("BadInputTest")
                .config("spark.ui.enabled", "false")
                .config("spark.hadoop." + LocalFileSystem.KEY, LocalFileSystem.class.getName())
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    static final String SENTENCE =
            "The committee met on Tuesday to review the harbour accounts, and agreed to publish them.";

    private static byte[] gzip(byte[] raw) throws Exception {
        var bo = new ByteArrayOutputStream();
        try (OutputStream o = new GZIPOutputStream(bo)) {
            o.write(raw);
        }
        return bo.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        var bo = new ByteArrayOutputStream();
        for (byte[] p : parts) bo.writeBytes(p);
        return bo.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private DatasetInfo run(String yaml) throws Exception {
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, "tokenizer: cl100k_base\ncontext: 16\nval_fraction: 0\n" + yaml);
        return new EtlJob(
                        spark,
                        new EtlConfig(CorpusSpecs.load(spec), dir.resolve("out").toString(), false, 0),
                        new PrintStream(new ByteArrayOutputStream()))
                .run();
    }

    @Test
    void badDocuments_areCountedBySkipReason() throws Exception {
        Files.createDirectories(dir.resolve("j"));
        Files.write(
                dir.resolve("j/a.jsonl.gz"),
                gzip(concat(
                        utf8("{\"text\": \"" + SENTENCE
                                + "\", \"url\": \"u1\", \"timestamp\": \"2020-01-01T00:00:00Z\"}\n"),
                        utf8("{\"text\": \"unterminated\n"), // malformed JSON
                        utf8("{\"text\": \"caf"),
                        new byte[] {(byte) 0xC3, 0x28},
                        utf8("\"}\n"), // invalid UTF-8
                        utf8("{\"text\": \"   \"}\n"), // empty
                        utf8("{\"url\": \"no text field\"}\n"), // malformed: no text
                        utf8("[1, 2]\n"), // malformed: not an object
                        utf8("{\"text\": \"Second good document. " + SENTENCE + "\"}\n"))));
        Files.createDirectories(dir.resolve("t"));
        Files.writeString(dir.resolve("t/good.txt"), SENTENCE + "\n");
        Files.writeString(dir.resolve("t/empty.txt"), " \n\n");
        Files.write(dir.resolve("t/bad.txt"), concat(utf8("Gr"), new byte[] {(byte) 0xFF}, utf8("sse\n")));
        byte[] big = new byte[50 << 20]; // a 50 MB document
        byte[] line = utf8(SENTENCE + "\n");
        for (int i = 0; i < big.length; i++) big[i] = line[i % line.length];
        Files.write(dir.resolve("t/huge.txt"), big);
        // a .json.gz cut in half: the lines before the damage are kept, the file counted as truncated
        var lines = new StringBuilder();
        for (int i = 0; i < 400; i++)
            lines.append("{\"text\": \"Line ")
                    .append(i)
                    .append(". ")
                    .append(SENTENCE)
                    .append("\"}\n");
        byte[] whole = gzip(utf8(lines.toString()));
        Files.createDirectories(dir.resolve("z"));
        Files.write(dir.resolve("z/cut.json.gz"), Arrays.copyOf(whole, whole.length / 2));

        DatasetInfo info = run("""
                domains:
                  - {name: j, format: jsonl, paths: [j/*.jsonl.gz]}
                  - {name: t, format: text, paths: [t/*.txt]}
                  - {name: z, format: jsonl, paths: [z/*.json.gz]}
                """);
        var j = info.domain("j");
        assertEquals(Map.of("malformed_json", 3L, "invalid_utf8", 1L, "empty", 1L), j.skipped());
        assertEquals(2, j.split("train").documents());
        var t = info.domain("t");
        assertEquals(Map.of("too_large", 1L, "empty", 1L, "invalid_utf8", 1L), t.skipped());
        assertEquals(1, t.split("train").documents());
        var z = info.domain("z");
        assertEquals(Map.of("truncated_gzip", 1L), z.skipped());
        long kept = z.split("train").documents();
        assertTrue(kept > 0 && kept < 400, "lines before the damage are kept: " + kept);
    }

    @Test
    void missingPath_isAClearError() throws Exception {
        Files.writeString(dir.resolve("x.txt"), SENTENCE);
        var e = assertThrows(UserException.class, () -> run("""
                domains:
                  - {name: ok, format: text, paths: [x.txt]}
                  - {name: gone, format: jsonl, paths: [nowhere/*.jsonl]}
                """));
        assertTrue(e.getMessage().contains("domain 'gone': path 'nowhere/*.jsonl' matches no file"), e.getMessage());
    }

    @Test
    void domainWithNoDocuments_isAClearErrorAndLeavesNoDataset() throws Exception {
        Files.writeString(dir.resolve("x.txt"), SENTENCE);
        Files.writeString(dir.resolve("blank.txt"), "\n\n   \n");
        var e = assertThrows(UserException.class, () -> run("""
                domains:
                  - {name: ok, format: text, paths: [x.txt]}
                  - {name: hollow, format: text, paths: [blank.txt]}
                """));
        assertTrue(e.getMessage().contains("domain 'hollow' has no documents"), e.getMessage());
        assertTrue(e.getMessage().contains("empty=1"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out/dataset.json")), "a failed run leaves no dataset.json");
    }

    @Test
    void blankLineSeparatedText_splitsIntoParagraphDocuments() throws Exception {
        Files.writeString(
                dir.resolve("p.txt"), "First paragraph, line one.\nLine two.\n\n\nSecond paragraph.\r\n \nThird.");
        DatasetInfo info = run("domains:\n  - {name: p, format: text, doc_separator: blank_line, paths: [p.txt]}\n");
        assertEquals(3, info.domain("p").split("train").documents());
    }
}
