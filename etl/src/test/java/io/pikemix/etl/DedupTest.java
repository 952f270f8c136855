package io.pikemix.etl;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.etl.tokenizer.Tokenizer;
import io.pikemix.etl.tokenizer.Tokenizers;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.UserException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dedup: exact} on real files and real Spark sessions (local[1], then local[2]). */
@Tag("spark")
class DedupTest {
    @TempDir
    static Path dir;

    static final String FIRST = "The harbour   accounts were\\n  published on Tuesday."; // JSON-escaped
    static final String SECOND = "The harbour accounts were published on Tuesday."; // same once normalised
    static final String REPEATED = "Minutes of the meeting: nothing to report.";

    static String filler(String file, int i) {
        return "Filler document " + i + " of file " + file + ", about the committee's budget for the year " + (1900 + i)
                + ".";
    }

    /** Two files of domain a (two tasks: split_bytes is smaller than both together), the same lines in domain b. */
    static Path spec() throws Exception {
        Path spec = dir.resolve("spec.yaml");
        if (Files.exists(spec)) return spec;
        var one = new StringBuilder();
        one.append("{\"text\": \"").append(filler("one", 0)).append("\"}\n");
        one.append("{\"text\": \"").append(FIRST).append("\"}\n"); // ordinal 1 of task 0: kept
        one.append("{\"text\": \"").append(REPEATED).append("\"}\n"); // ordinal 2 of task 0: kept
        one.append("{\"text\": \"").append(REPEATED).append("\"}\n"); // ordinal 3 of task 0: dropped
        for (int i = 1; i < 600; i++)
            one.append("{\"text\": \"").append(filler("one", i)).append("\"}\n");
        var two = new StringBuilder();
        two.append("{\"text\": \"").append(SECOND).append("\"}\n"); // ordinal 0 of task 1: dropped (FIRST came before)
        two.append("{\"text\": \"").append(REPEATED).append("\"}\n"); // dropped
        for (int i = 0; i < 600; i++)
            two.append("{\"text\": \"").append(filler("two", i)).append("\"}\n");
        for (String d : List.of("a", "b")) {
            Files.createDirectories(dir.resolve(d));
            Files.writeString(dir.resolve(d + "/1.jsonl"), one);
            Files.writeString(dir.resolve(d + "/2.jsonl"), two);
        }
        assertTrue(Files.size(dir.resolve("a/1.jsonl")) > 40_000 && Files.size(dir.resolve("a/2.jsonl")) > 40_000);
        Files.writeString(
                spec,
                "tokenizer: cl100k_base\ncontext: 16\nval_fraction: 0\nsplit_bytes: 65536\ndedup: exact\ndomains:\n"
                        + "  - {name: a, format: jsonl, paths: [a/*.jsonl]}\n"
                        + "  - {name: b, format: jsonl, paths: [b/*.jsonl], dedup: none}\n");
        return spec;
    }

    static DatasetInfo run(int cores, Path out) throws Exception {
        SparkSession spark = SparkSession.builder()
                .master("local[" + cores + "]")
                .appName("DedupTest")
                .config("spark.ui.enabled", "false")
                .config("spark.hadoop." + LocalFileSystem.KEY, LocalFileSystem.class.getName())
                .getOrCreate();
        try {
            return new EtlJob(
                            spark,
                            new EtlConfig(CorpusSpecs.load(spec()), out.toString(), false, 0),
                            new PrintStream(new ByteArrayOutputStream()))
                    .run();
        } finally {
            spark.stop();
        }
    }

    @Test
    void keepsTheFirstOccurrence_countsTheDropped_andIsTheSameOnOneAndTwoExecutors() throws Exception {
        Path out1 = dir.resolve("out1"), out2 = dir.resolve("out2");
        DatasetInfo one = run(1, out1), two = run(2, out2);

        var a = one.domain("a");
        var b = one.domain("b");
        assertEquals(Map.of(Dedup.SKIP_REASON, 3L), a.skipped(), "a: REPEATED twice and SECOND once dropped");
        assertEquals(Map.of(), b.skipped(), "b overrides dedup: none");
        long docs = 4 + 599 + 2 + 600;
        assertEquals(docs - 3, a.split("train").documents());
        assertEquals(docs, b.split("train").documents());

        // which texts survived: rebuild each task's documents from the rows and compare with the tokenizer's ids
        Tokenizer tok = Tokenizers.load("cl100k_base", null);
        int eos = one.tokenizer().eosId();
        var rows = EtlJobTest.rows(out1, a.split("train"));
        Set<List<Integer>> kept = EtlJobTest.completeDocuments(rows, eos);
        String first = FIRST.replace("\\n", "\n");
        assertTrue(kept.contains(ids(tok, first)), "the first occurrence stays");
        assertFalse(kept.contains(ids(tok, SECOND)), "the later, whitespace-normalised equal one is dropped");
        var bKept = EtlJobTest.completeDocuments(EtlJobTest.rows(out1, b.split("train")), eos);
        assertTrue(bKept.contains(ids(tok, SECOND)), "b keeps it");

        // identical on local[1] and local[2]
        assertEquals(
                new String(one.toJson(), java.nio.charset.StandardCharsets.UTF_8).replace(out1.toString(), ""),
                new String(two.toJson(), java.nio.charset.StandardCharsets.UTF_8).replace(out2.toString(), ""));
        for (String d : List.of("a", "b")) {
            var r1 = EtlJobTest.rows(out1, one.domain(d).split("train"));
            var r2 = EtlJobTest.rows(out2, two.domain(d).split("train"));
            assertEquals(r1.size(), r2.size());
            for (int i = 0; i < r1.size(); i++) {
                assertEquals(r1.get(i).seqId(), r2.get(i).seqId());
                assertArrayEquals(r1.get(i).tokens(), r2.get(i).tokens());
            }
        }
    }

    @Test
    void unknownMode_isAnErrorNamingTheKey() throws Exception {
        Path spec = dir.resolve("bad.yaml");
        Files.writeString(spec, "dedup: fuzzy\ndomains:\n  - {name: a, format: jsonl, paths: [a/*.jsonl]}\n");
        var e = assertThrows(UserException.class, () -> CorpusSpecs.load(spec));
        assertTrue(e.getMessage().contains("dedup"), e.getMessage());
    }

    static List<Integer> ids(Tokenizer tok, String text) {
        var out = new ArrayList<Integer>();
        for (int id : tok.encode(text)) out.add(id);
        return out;
    }
}
