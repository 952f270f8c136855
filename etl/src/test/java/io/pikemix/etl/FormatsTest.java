package io.pikemix.etl;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.DatasetInfo;
import io.pikemix.format.ShardReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each input format, and byte-range splitting of large uncompressed JSON-lines files. */
@Tag("spark")
class FormatsTest {
    static SparkSession spark;
    static final String ROOT = Path.of("..").toAbsolutePath().normalize().toString();

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("FormatsTest")
                .config("spark.ui.enabled", "false")
                .config("spark.hadoop." + LocalFileSystem.KEY, LocalFileSystem.class.getName())
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    private DatasetInfo run(String yaml) throws Exception {
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, "tokenizer: cl100k_base\ncontext: 32\nval_fraction: 0\n" + yaml);
        return new EtlJob(
                        spark,
                        new EtlConfig(CorpusSpecs.load(spec), dir.resolve("out").toString(), false, 0),
                        new PrintStream(new ByteArrayOutputStream()))
                .run();
    }

    @Test
    void parquetInput_readsTheNamedColumn() throws Exception {
        List<String> texts = List.of("Erster Absatz über Häfen.", "Second document, in English.", "तीसरा दस्तावेज़");
        spark.createDataset(texts, Encoders.STRING())
                .toDF("body")
                .coalesce(1)
                .write()
                .parquet(dir.resolve("pq").toString());
        DatasetInfo info = run("domains:\n  - {name: p, format: parquet, text_column: body, paths: [pq/*.parquet]}\n");
        assertEquals(3, info.domain("p").split("train").documents());
        var tok = io.pikemix.etl.tokenizer.Tokenizers.load("cl100k_base", null);
        long expected = texts.stream().mapToLong(t -> tok.encode(t).length + 1).sum();
        assertEquals(expected, info.domain("p").split("train").tokens());
    }

    @Test
    void shards_tokensAreBinaryLittleEndianInt32_andFormat1ListShardsStillRead() throws Exception {
        DatasetInfo info = run("context: 16\ndomains:\n  - {name: d, format: text, doc_separator: file, paths: [\""
                + ROOT + "/corpus/genres/news/*.gz\"]}\n");
        assertEquals(DatasetInfo.FORMAT_VERSION, info.formatVersion());
        String shard = dir.resolve("out")
                .resolve(info.domain("d").split("train").shards().get(0).path())
                .toString();
        // Spark sees a binary column; decoding it by hand (little-endian int32) gives ShardReader's ids
        var df = spark.read().parquet(shard);
        assertEquals(
                org.apache.spark.sql.types.DataTypes.BinaryType,
                df.schema().apply("tokens").dataType());
        org.apache.spark.sql.Row first = df.orderBy("seq_id").first();
        byte[] raw = first.getAs("tokens");
        assertEquals(4 * 17, raw.length);
        var bb = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int[] expected = new int[17];
        for (int i = 0; i < 17; i++) expected[i] = bb.getInt();
        ShardReader.ShardRow row = ShardReader.read(shard, 1).get(0);
        assertEquals(first.<Long>getAs("seq_id"), row.seqId());
        assertArrayEquals(expected, row.tokens());
        // a format-1 shard (tokens as list<int32>, as earlier builds wrote them) reads the same
        var schema = new org.apache.spark.sql.types.StructType()
                .add("seq_id", "long", false)
                .add(
                        "tokens",
                        org.apache.spark.sql.types.DataTypes.createArrayType(
                                org.apache.spark.sql.types.DataTypes.IntegerType, false),
                        false);
        Integer[] boxed = java.util.Arrays.stream(expected).boxed().toArray(Integer[]::new);
        for (String legacy : new String[] {"true", "false"}) { // two-level and three-level LIST
            spark.conf().set("spark.sql.parquet.writeLegacyFormat", legacy);
            Path v1 = dir.resolve("v1-" + legacy);
            spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create(7L, boxed)), schema)
                    .coalesce(1)
                    .write()
                    .parquet(v1.toString());
            spark.conf().unset("spark.sql.parquet.writeLegacyFormat");
            Path file;
            try (var files = Files.list(v1)) {
                file = files.filter(f -> f.toString().endsWith(".parquet"))
                        .findFirst()
                        .orElseThrow();
            }
            ShardReader.ShardRow old = ShardReader.read(file.toString(), -1).get(0);
            assertEquals(7L, old.seqId());
            assertArrayEquals(expected, old.tokens(), "writeLegacyFormat=" + legacy);
        }
        assertArrayEquals(
                expected,
                io.pikemix.format.ShardSchema.unpackTokens(
                        io.pikemix.format.ShardSchema.packTokens(expected), 0, 4 * 17));
    }

    @Test
    void parquetInput_missingColumn_isAClearError() throws Exception {
        spark.createDataset(List.of("x"), Encoders.STRING())
                .toDF("body")
                .write()
                .parquet(dir.resolve("pq").toString());
        var e = assertThrows(
                io.pikemix.format.UserException.class,
                () -> run("domains:\n  - {name: p, format: parquet, paths: [pq/*.parquet]}\n"));
        assertTrue(e.getMessage().contains("has no column 'text'"), e.getMessage());
    }

    @Test
    void largeJsonl_splitIntoByteRanges_losesAndDuplicatesNoLine() throws Exception {
        var sb = new StringBuilder();
        var lines = new ArrayList<String>();
        for (int i = 0; i < 3000; i++) {
            String t = "Document number " + i + " describes the tides of the northern harbour in some detail.";
            lines.add(t);
            sb.append("{\"text\": \"")
                    .append(t)
                    .append("\", \"url\": \"u")
                    .append(i)
                    .append("\"}\n");
        }
        Files.writeString(dir.resolve("big.jsonl"), sb);
        assertTrue(sb.length() > 3 * 65536, "spans several 64 KiB splits");
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(
                spec,
                "tokenizer: cl100k_base\ncontext: 32\nval_fraction: 0\nsplit_bytes: 65536\n"
                        + "domains:\n  - {name: j, format: jsonl, paths: [big.jsonl]}\n");
        CorpusSpec cs = CorpusSpecs.load(spec);
        assertTrue(
                InputPlan.plan(cs, spark.sparkContext().hadoopConfiguration()).size() >= 3, "several tasks");
        DatasetInfo info = new EtlJob(
                        spark,
                        new EtlConfig(cs, dir.resolve("out").toString(), false, 0),
                        new PrintStream(new ByteArrayOutputStream()))
                .run();
        assertEquals(3000, info.domain("j").split("train").documents());
        var tok = io.pikemix.etl.tokenizer.Tokenizers.load("cl100k_base", null);
        assertEquals(
                lines.stream().mapToLong(t -> tok.encode(t).length + 1).sum(),
                info.domain("j").split("train").tokens());
    }
}
