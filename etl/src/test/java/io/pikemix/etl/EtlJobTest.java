package io.pikemix.etl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pikemix.etl.tokenizer.Tokenizer;
import io.pikemix.etl.tokenizer.Tokenizers;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.DatasetInfo.DomainInfo;
import io.pikemix.format.DatasetInfo.ShardInfo;
import io.pikemix.format.DatasetInfo.SplitInfo;
import io.pikemix.format.ShardReader;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

import static org.junit.jupiter.api.Assertions.*;

/** The ETL against a real local[2] Spark session, on the embedded corpus: read back what was written. */
@Tag("spark")
class EtlJobTest {
    static final Path GENRES = Path.of("..", "corpus", "genres.yaml");
    static final int CONTEXT = 63;
    static SparkSession spark;
    @TempDir static Path tmp;
    static DatasetInfo first;
    static Path firstOut;

    @BeforeAll static void start() throws Exception {
        spark = SparkSession.builder().master("local[2]").appName("EtlJobTest").config("spark.ui.enabled", "false").config("spark.hadoop." + LocalFileSystem.KEY, LocalFileSystem.class.getName())
                .config("spark.sql.shuffle.partitions", "4").getOrCreate();
        firstOut = tmp.resolve("run1");
        first = run(firstOut);
    }

    @AfterAll static void stop() { if (spark != null) spark.stop(); }

    static CorpusSpec spec() {
        return CorpusSpecs.load(GENRES).with("cl100k_base", CONTEXT, 0.1);
    }

    static DatasetInfo run(Path out) throws Exception {
        return new EtlJob(spark, new EtlConfig(spec(), out.toString(), false, 0), new PrintStream(new ByteArrayOutputStream())).run();
    }

    static List<ShardReader.ShardRow> rows(Path out, SplitInfo split) throws Exception {
        var all = new ArrayList<ShardReader.ShardRow>();
        for (ShardInfo s : split.shards()) {
            List<ShardReader.ShardRow> r = ShardReader.read(out.resolve(s.path()).toString(), -1);
            assertEquals(s.rows(), r.size(), s.path());
            if (!r.isEmpty()) assertEquals(s.firstSeqId(), r.get(0).seqId(), s.path());
            all.addAll(r);
        }
        return all;
    }

    @Test void shards_readBackWithEveryRowContextPlusOneTokens() throws Exception {
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
                assertEquals(s.tokens(), s.sequences() * (CONTEXT + 1) + s.tailTokensDropped(), d.name() + "/" + split + ": tokens = rows·L + tail");
            }
            assertTrue(d.split("train").sequences() > 0, d.name() + " has training rows");
        }
        assertTrue(Files.exists(firstOut.resolve("dataset.json")));
        assertFalse(Files.exists(firstOut.resolve("_staging")), "staging removed");
    }

    @Test void tokens_equalDocumentsTokensPlusOneEosEach_readIndependently() throws Exception {
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
            assertEquals(tokens, d.split("train").tokens() + d.split("val").tokens(), domain.name() + " tokens incl. one EOS per doc");
            assertEquals(Map.of(), d.skipped(), domain.name() + " embedded corpus has nothing to skip");
        }
    }

    @Test void trainAndValidation_shareNoDocument() throws Exception {
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
        for (var r : rows) byTask.computeIfAbsent(r.seqId() >>> 32, k -> new ArrayList<>()).add(r);
        var docs = new HashSet<List<Integer>>();
        for (var taskRows : byTask.values()) {
            taskRows.sort((a, b) -> Long.compare(a.seqId(), b.seqId()));
            var cur = new ArrayList<Integer>();
            for (var r : taskRows) for (int t : r.tokens()) {
                if (t == eos) { if (!cur.isEmpty()) docs.add(List.copyOf(cur)); cur.clear(); }
                else cur.add(t);
            }
        }
        return docs;
    }

    @Test void twoRuns_giveIdenticalRows() throws Exception {
        Path out2 = tmp.resolve("run2");
        DatasetInfo second = run(out2);
        assertEquals(new String(first.toJson(), StandardCharsets.UTF_8).replace(firstOut.toString(), ""), new String(second.toJson(), StandardCharsets.UTF_8).replace(out2.toString(), ""));
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

    @Test void existingDataset_isNotOverwrittenWithoutFlag() {
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
                var matcher = base.getFileSystem().getPathMatcher("glob:" + spec.baseDir().resolve(glob).normalize());
                try (var s = Files.walk(base)) { s.map(Path::normalize).filter(matcher::matches).forEach(files::add); }
            }
            files.sort(null);
            for (Path f : files) {
                byte[] bytes;
                try (InputStream in = f.toString().endsWith(".gz") ? new GZIPInputStream(Files.newInputStream(f)) : Files.newInputStream(f)) {
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
                        if (d.docSeparator() == CorpusSpec.DocSeparator.FILE) { if (!all.isBlank()) out.add(all); }
                        else {
                            var cur = new ArrayList<String>();
                            for (String line : (all + "\n").split("\n", -1)) {
                                String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
                                if (l.isBlank()) { if (!cur.isEmpty()) out.add(String.join("\n", cur)); cur.clear(); }
                                else cur.add(l);
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
