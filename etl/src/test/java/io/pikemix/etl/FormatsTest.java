package io.pikemix.etl;

import io.pikemix.format.DatasetInfo;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Each input format, and byte-range splitting of large uncompressed JSON-lines files. */
@Tag("spark")
class FormatsTest {
    static SparkSession spark;
    @TempDir Path dir;

    @BeforeAll static void start() {
        spark = SparkSession.builder().master("local[2]").appName("FormatsTest").config("spark.ui.enabled", "false").config("spark.hadoop." + LocalFileSystem.KEY, LocalFileSystem.class.getName()).getOrCreate();
    }

    @AfterAll static void stop() { if (spark != null) spark.stop(); }

    private DatasetInfo run(String yaml) throws Exception {
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, "tokenizer: cl100k_base\ncontext: 32\nval_fraction: 0\n" + yaml);
        return new EtlJob(spark, new EtlConfig(CorpusSpecs.load(spec), dir.resolve("out").toString(), false, 0),
                new PrintStream(new ByteArrayOutputStream())).run();
    }

    @Test void parquetInput_readsTheNamedColumn() throws Exception {
        List<String> texts = List.of("Erster Absatz über Häfen.", "Second document, in English.", "तीसरा दस्तावेज़");
        spark.createDataset(texts, Encoders.STRING()).toDF("body").coalesce(1).write().parquet(dir.resolve("pq").toString());
        DatasetInfo info = run("domains:\n  - {name: p, format: parquet, text_column: body, paths: [pq/*.parquet]}\n");
        assertEquals(3, info.domain("p").split("train").documents());
        var tok = io.pikemix.etl.tokenizer.Tokenizers.load("cl100k_base", null);
        long expected = texts.stream().mapToLong(t -> tok.encode(t).length + 1).sum();
        assertEquals(expected, info.domain("p").split("train").tokens());
    }

    @Test void parquetInput_missingColumn_isAClearError() throws Exception {
        spark.createDataset(List.of("x"), Encoders.STRING()).toDF("body").write().parquet(dir.resolve("pq").toString());
        var e = assertThrows(io.pikemix.format.UserException.class,
                () -> run("domains:\n  - {name: p, format: parquet, paths: [pq/*.parquet]}\n"));
        assertTrue(e.getMessage().contains("has no column 'text'"), e.getMessage());
    }

    @Test void largeJsonl_splitIntoByteRanges_losesAndDuplicatesNoLine() throws Exception {
        var sb = new StringBuilder();
        var lines = new ArrayList<String>();
        for (int i = 0; i < 3000; i++) {
            String t = "Document number " + i + " describes the tides of the northern harbour in some detail.";
            lines.add(t);
            sb.append("{\"text\": \"").append(t).append("\", \"url\": \"u").append(i).append("\"}\n");
        }
        Files.writeString(dir.resolve("big.jsonl"), sb);
        assertTrue(sb.length() > 3 * 65536, "spans several 64 KiB splits");
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, "tokenizer: cl100k_base\ncontext: 32\nval_fraction: 0\nsplit_bytes: 65536\n"
                + "domains:\n  - {name: j, format: jsonl, paths: [big.jsonl]}\n");
        CorpusSpec cs = CorpusSpecs.load(spec);
        assertTrue(InputPlan.plan(cs, spark.sparkContext().hadoopConfiguration()).size() >= 3, "several tasks");
        DatasetInfo info = new EtlJob(spark, new EtlConfig(cs, dir.resolve("out").toString(), false, 0),
                new PrintStream(new ByteArrayOutputStream())).run();
        assertEquals(3000, info.domain("j").split("train").documents());
        var tok = io.pikemix.etl.tokenizer.Tokenizers.load("cl100k_base", null);
        assertEquals(lines.stream().mapToLong(t -> tok.encode(t).length + 1).sum(), info.domain("j").split("train").tokens());
    }
}
