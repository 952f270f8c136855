package io.pikemix.etl;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pikemix.etl.tokenizer.Tokenizer;
import io.pikemix.etl.tokenizer.Tokenizers;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.DatasetInfo.DomainInfo;
import io.pikemix.format.DatasetInfo.ShardInfo;
import io.pikemix.format.DatasetInfo.SplitInfo;
import io.pikemix.format.ShardReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ETL against a real local[2] Spark session, on the embedded corpus: read back what was written. */
@Tag("spark")
class EtlJobTest {
    static final Path GENRES = Path.of("..", "corpus", "genres.yaml");
    static final int CONTEXT = 63;
    static SparkSession spark;

    @TempDir
    static Path tmp;

    static DatasetInfo first;
    static Path firstOut;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("EtlJobTest")
                .config("spark.ui.enabled", "false")
                .config("spark.hadoop." + LocalFileSystem.KEY, LocalFileSystem.class.getName())
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
        firstOut = tmp.resolve("run1");
        first = run(firstOut);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    static CorpusSpec spec() {
        return CorpusSpecs.load(GENRES).with("cl100k_base", CONTEXT, 0.1);
    }

    static DatasetInfo run(Path out) throws Exception {
        return new EtlJob(
                        spark,
                        new EtlConfig(spec(), out.toString(), false, 0),
                        new PrintStream(new ByteArrayOutputStream()))
                .run();
    }

    static List<ShardReader.ShardRow> rows(Path out, SplitInfo split) throws Exception {
        var all = new ArrayList<ShardReader.ShardRow>();
        for (ShardInfo s : split.shards()) {
            List<ShardReader.ShardRow> r =
                    ShardReader.read(out.resolve(s.path()).toString(), -1);
            assertEquals(s.rows(), r.size(), s.path());
            if (!r.isEmpty()) assertEquals(s.firstSeqId(), r.get(0).seqId(), s.path());
            all.addAll(r);
        }
        return all;
    }

    @Test
    void shards_readBackWithEveryRowContextPlusOneTokens() throws Exception {
        assertEquals(CONTEXT + 1, first.rowLength());
        Tokenizer tok = Tokenizers.load("cl100k_base", null);
        for (DomainInfo d : first.domains()) {
            for (String split : DatasetInfo.SPLITS) {
                SplitInfo s = d.split(split);
                List<ShardReader.ShardRow> rows = rows(firstOut, s);
                assertEquals(s.sequences(), rows.size());
                var ids = new HashSet<Long>();
                for (var r : rows) {
                    assertEquals(CONTEXT + 1, r.tokens().length, "row length");
                    assertTrue(ids.add(r.seqId()), "seq_id unique");
                    for (int t : r.tokens()) assertTrue(t >= 0 && t < tok.vocabSize());
                }
                assertEquals(
                        s.tokens(),
                        s.sequences() * (CONTEXT + 1) + s.tailTokensDropped(),
                        d.name() + "/" + split + ": tokens = rows·L + tail");
            }
            assertTrue(d.split("train").sequences() > 0, d.name() + " has training rows");
        }
        assertTrue(Files.exists(firstOut.resolve("dataset.json")));
        assertFalse(Files.exists(firstOut.resolve("_staging")), "staging removed");
    }

    @Test
    void tokens_equalDocumentsTokensPlusOneEosEach_readIndependently() throws Exception {
        CorpusSpec spec = spec();
        Tokenizer tok = Tokenizers.load("cl100k_base", null);
        for (var domain : spec.domains()) {
            long docs = 0, tokens = 0;
            for (String text : IndependentReader.documents(spec, domain)) {
                docs++;
                tokens += tok.encode(text).length + 1;
            }
            DomainInfo d = first.domain(domain.name());
            assertEquals(docs, d.split("train").documents() + d.split("val").documents(), domain.name() + " documents");
            assertEquals(
                    tokens,
                    d.split("train").tokens() + d.split("val").tokens(),
                    domain.name() + " tokens incl. one EOS per doc");
            assertEquals(Map.of(), d.skipped(), domain.name() + " embedded corpus has nothing to skip");
        }
    }

    @Test
    void trainAndValidation_shareNoDocument() throws Exception {
        int eos = first.tokenizer().eosId();
        for (DomainInfo d : first.domains()) {
            Set<List<Integer>> train = completeDocuments(rows(firstOut, d.split("train")), eos);
            Set<List<Integer>> val = completeDocuments(rows(firstOut, d.split("val")), eos);
            assertFalse(train.isEmpty());
            var both = new HashSet<>(train);
            both.retainAll(val);
            assertEquals(Set.of(), both, d.name() + ": documents in both splits");
        }
    }

    /** Rebuilds each task's token stream (rows in seq_id order) and cuts it at EOS; the first piece may be partial. */
    static Set<List<Integer>> completeDocuments(List<ShardReader.ShardRow> rows, int eos) {
        var byTask = new TreeMap<Long, List<ShardReader.ShardRow>>();
        for (var r : rows)
            byTask.computeIfAbsent(r.seqId() >>> 32, k -> new ArrayList<>()).add(r);
        var docs = new HashSet<List<Integer>>();
        for (var taskRows : byTask.values()) {
            taskRows.sort((a, b) -> Long.compare(a.seqId(), b.seqId()));
            var cur = new ArrayList<Integer>();
            for (var r : taskRows)
                for (int t : r.tokens()) {
                    if (t == eos) {
                        if (!cur.isEmpty()) docs.add(List.copyOf(cur));
                        cur.clear();
                    } else cur.add(t);
                }
        }
        return docs;
    }

    @Test
    void twoRuns_giveIdenticalRows() throws Exception {
        Path out2 = tmp.resolve("run2");
        DatasetInfo second = run(out2);
        assertEquals(
                new String(first.toJson(), StandardCharsets.UTF_8).replace(firstOut.toString(), ""),
                new String(second.toJson(), StandardCharsets.UTF_8).replace(out2.toString(), ""));
        for (DomainInfo d : first.domains())
            for (String split : DatasetInfo.SPLITS) {
                var a = rows(firstOut, d.split(split));
                var b = rows(out2, second.domain(d.name()).split(split));
                assertEquals(a.size(), b.size());
                for (int i = 0; i < a.size(); i++) {
                    assertEquals(a.get(i).seqId(), b.get(i).seqId());
                    assertArrayEquals(a.get(i).tokens(), b.get(i).tokens());
                }
            }
    }

    /**
     * What the embedded corpus packs to (cl100k_base, context 63, val 0.1): SHA-256 over every shard's rows in
     * dataset order (seq_id big-endian, then the tokens value) and over dataset.json without its paths. The value
     * was computed by the Spark SQL row writer (commit 0007d65, before issue 15); the direct Parquet writer must
     * give the same rows, the same shards and the same statistics.
     */
    @Test
    void rowsAndStatistics_equalThoseOfTheSparkRowWriter() throws Exception {
        var sha = java.security.MessageDigest.getInstance("SHA-256");
        for (DomainInfo d : first.domains())
            for (String split : DatasetInfo.SPLITS)
                for (ShardInfo s : d.split(split).shards()) {
                    sha.update(s.path().getBytes(StandardCharsets.UTF_8));
                    for (var r : ShardReader.read(firstOut.resolve(s.path()).toString(), -1)) {
                        sha.update(java.nio.ByteBuffer.allocate(8)
                                .putLong(r.seqId())
                                .array());
                        sha.update(io.pikemix.format.ShardSchema.packTokens(r.tokens()));
                    }
                }
        sha.update(new String(first.toJson(), StandardCharsets.UTF_8)
                .replace(firstOut.toString(), "")
                .replace(GENRES.toAbsolutePath().toString(), "")
                .getBytes(StandardCharsets.UTF_8));
        String digest = java.util.HexFormat.of().formatHex(sha.digest());
        System.out.println("etl golden digest " + digest);
        assertEquals(GOLDEN, digest);
    }

    static final String GOLDEN = "dc7bc4eb81c0f0c2f4dee124da83ccc48b06e257925d7ce5e72cefa3f8770add";

    /**
     * One task over a 24 MB JSON-lines file, progress every 50 ms: some line printed while that task still runs
     * ("tasks 0/1") already counts documents, bytes and tokens — the counts move inside a task, not only at its end.
     */
    @Test
    void progress_movesWhileTheOnlyTaskRuns() throws Exception {
        Path in = tmp.resolve("progress-in");
        Files.createDirectories(in);
        var text = new StringBuilder();
        for (int i = 0; i < 120_000; i++)
            text.append("{\"text\": \"Document ")
                    .append(i)
                    .append(": the committee met on Tuesday to review the harbour accounts, ")
                    .append("and agreed to publish them with the minutes of meeting ")
                    .append(i * 7)
                    .append(".\"}\n");
        Files.writeString(in.resolve("a.jsonl"), text);
        Path spec = tmp.resolve("progress.yaml");
        Files.writeString(
                spec,
                "tokenizer: cl100k_base\ncontext: 32\nval_fraction: 0\nsplit_bytes: 1000000000\n"
                        + "domains:\n  - name: one\n    format: jsonl\n    paths: [progress-in/*.jsonl]\n");
        var log = new ByteArrayOutputStream();
        var console = new PrintStream(log, true, StandardCharsets.UTF_8);
        DatasetInfo info = new EtlJob(
                        spark,
                        new EtlConfig(
                                CorpusSpecs.load(spec),
                                tmp.resolve("progress-out").toString(),
                                false,
                                50),
                        console)
                .run();
        String out;
        synchronized (log) {
            out = log.toString(StandardCharsets.UTF_8);
        }
        assertFalse(out.contains("\r"), "no carriage returns");
        var live = java.util.regex.Pattern.compile("total ([\\d,]+) docs ([\\d.]+) MB ([\\d.]+) M tokens \\| tasks 0/1")
                .matcher(out);
        boolean moved = false;
        while (live.find())
            moved |= Long.parseLong(live.group(1).replace(",", "")) > 0 && Double.parseDouble(live.group(2)) > 0;
        assertTrue(moved, "a line with documents counted before the task ended:\n" + out);
        assertEquals(120_000, info.domain("one").split("train").documents());
        assertTrue(out.contains("total 120,000 docs"), "the last line counts every document:\n" + out);
    }

    @Test
    void existingDataset_isNotOverwrittenWithoutFlag() {
        var e = assertThrows(io.pikemix.format.UserException.class, () -> run(firstOut));
        assertTrue(e.getMessage().contains("--overwrite"));
    }

    /** Reads the spec's documents with plain java.util.zip and Jackson: a path independent of the ETL's readers. */
    static final class IndependentReader {
        static List<String> documents(CorpusSpec spec, CorpusSpec.DomainSpec d) throws Exception {
            var out = new ArrayList<String>();
            var files = new ArrayList<Path>();
            for (String glob : d.paths()) {
                Path base = spec.baseDir().resolve(glob).getParent();
                var matcher = base.getFileSystem()
                        .getPathMatcher("glob:" + spec.baseDir().resolve(glob).normalize());
                try (var s = Files.walk(base)) {
                    s.map(Path::normalize).filter(matcher::matches).forEach(files::add);
                }
            }
            files.sort(null);
            for (Path f : files) {
                byte[] bytes;
                try (InputStream in = f.toString().endsWith(".gz")
                        ? new GZIPInputStream(Files.newInputStream(f))
                        : Files.newInputStream(f)) {
                    bytes = in.readAllBytes();
                }
                String all = new String(bytes, StandardCharsets.UTF_8);
                switch (d.format()) {
                    case JSONL -> {
                        var mapper = new ObjectMapper();
                        for (String line : all.split("\n")) {
                            if (line.isBlank()) continue;
                            JsonNode n = mapper.readTree(line);
                            String t = n.get(d.textColumn()).asText();
                            if (!t.isBlank()) out.add(t);
                        }
                    }
                    case TEXT -> {
                        if (d.docSeparator() == CorpusSpec.DocSeparator.FILE) {
                            if (!all.isBlank()) out.add(all);
                        } else {
                            var cur = new ArrayList<String>();
                            for (String line : (all + "\n").split("\n", -1)) {
                                String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
                                if (l.isBlank()) {
                                    if (!cur.isEmpty()) out.add(String.join("\n", cur));
                                    cur.clear();
                                } else cur.add(l);
                            }
                        }
                    }
                    case PARQUET -> throw new UnsupportedOperationException("no parquet domain in the embedded corpus");
                }
            }
            return out;
        }
    }
}
