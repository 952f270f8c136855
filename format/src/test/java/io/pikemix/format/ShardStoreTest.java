package io.pikemix.format;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real Parquet shards (parquet-hadoop, zstd, the ETL's schema) read back through {@link ShardStore}. */
class ShardStoreTest {
    @TempDir
    Path dir;

    static final MessageType FORMAT_2 =
            MessageTypeParser.parseMessageType("message shard { required int64 seq_id; required binary tokens; }");
    static final MessageType FORMAT_1 = MessageTypeParser.parseMessageType(
            "message shard { required int64 seq_id; required group tokens (LIST) { repeated group list { required int32 element; } } }");

    /** A dataset of two domains: "a" with shards of 5, 0 and 7 training rows, "b" with one of 4; 2 validation rows each. */
    record Fixture(Path dir, DatasetInfo info, Map<String, List<int[]>> rows) {
        List<int[]> rows(String domain, String split) {
            return rows.get(domain + "/" + split);
        }
    }

    static Fixture dataset(Path dir, int rowLength, long seed, MessageType schema) throws IOException {
        var rnd = new SplittableRandom(seed);
        Map<String, long[]> shardRows = new LinkedHashMap<>();
        shardRows.put("a/train", new long[] {5, 0, 7});
        shardRows.put("a/val", new long[] {2});
        shardRows.put("b/train", new long[] {4});
        shardRows.put("b/val", new long[] {2});
        var rows = new LinkedHashMap<String, List<int[]>>();
        var splits = new LinkedHashMap<String, Map<String, DatasetInfo.SplitInfo>>();
        for (var e : shardRows.entrySet()) {
            String domain = e.getKey().split("/")[0], split = e.getKey().split("/")[1];
            var all = new ArrayList<int[]>();
            var shards = new ArrayList<DatasetInfo.ShardInfo>();
            for (int s = 0; s < e.getValue().length; s++) {
                String path = e.getKey() + String.format("/part-%05d.parquet", s);
                var shard = new ArrayList<int[]>();
                for (int r = 0; r < e.getValue()[s]; r++) {
                    var t = new int[rowLength];
                    for (int i = 0; i < rowLength; i++) t[i] = rnd.nextInt(100_000);
                    shard.add(t);
                }
                write(dir.resolve(path), shard, schema);
                all.addAll(shard);
                shards.add(new DatasetInfo.ShardInfo(path, shard.size(), (long) s << 32));
            }
            rows.put(e.getKey(), all);
            splits.computeIfAbsent(domain, d -> new LinkedHashMap<>())
                    .put(
                            split,
                            new DatasetInfo.SplitInfo(
                                    all.size(), (long) all.size() * rowLength, all.size(), 0, shards));
        }
        var domains = splits.entrySet().stream()
                .map(d -> new DatasetInfo.DomainInfo(d.getKey(), null, 1, 1, Map.of(), d.getValue()))
                .toList();
        var info = new DatasetInfo(
                DatasetInfo.FORMAT_VERSION,
                "test",
                "spec.yaml",
                new DatasetInfo.TokenizerInfo("t", "t", "0", 100_000, 0, null),
                rowLength - 1,
                rowLength,
                0.1,
                0,
                domains);
        Files.write(dir.resolve(DatasetInfo.FILE_NAME), info.toJson());
        return new Fixture(dir, info, rows);
    }

    static void write(Path file, List<int[]> rows, MessageType schema) throws IOException {
        Files.createDirectories(file.getParent());
        var groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(file.toUri()))
                .withType(schema)
                .withConf(new Configuration())
                .withCompressionCodec(CompressionCodecName.ZSTD)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build()) {
            long seq = 0;
            for (int[] t : rows) {
                Group g = groups.newGroup().append(ShardSchema.SEQ_ID, seq++);
                if (schema.equals(FORMAT_2)) {
                    g.append(ShardSchema.TOKENS, Binary.fromConstantByteArray(ShardSchema.packTokens(t)));
                } else {
                    Group list = g.addGroup(ShardSchema.TOKENS);
                    for (int x : t) list.addGroup("list").append("element", x);
                }
                w.write(g);
            }
        }
    }

    @Test
    void globalRows_equalTheWrittenRows_acrossShardsAndAnEmptyShard() throws IOException {
        Fixture f = dataset(dir, 9, 1, FORMAT_2);
        var store = ShardStore.open(dir.toString(), ShardStore.DEFAULT_CACHE_MB << 20);
        assertEquals(12, store.rows("train", 0));
        assertEquals(4, store.rows("train", 1));
        assertEquals(2, store.rows("val", 0));
        var out = new int[9 + 3];
        for (String split : DatasetInfo.SPLITS)
            for (int k = 0; k < 2; k++) {
                List<int[]> expected = f.rows(k == 0 ? "a" : "b", split);
                for (int g = 0; g < expected.size(); g++) {
                    store.copyRow(split, k, g, out, 3);
                    assertArrayEquals(
                            expected.get(g),
                            java.util.Arrays.copyOfRange(out, 3, 12),
                            split + " domain " + k + " row " + g);
                }
            }
        // (shard, row) addressing, as the mixer's manifests name rows: shard 2 of "a" starts at global row 5
        store.copyRow("train", 0, 2, 3, out, 0);
        assertArrayEquals(f.rows("a", "train").get(8), java.util.Arrays.copyOf(out, 9));
        assertEquals(5, store.shardReads(), "a: 3 train shards + 1 val, b: ... each read once");
    }

    @Test
    void cache_staysWithinItsBound_andRereadsAnEvictedShard() throws IOException {
        Fixture f = dataset(dir, 9, 2, FORMAT_2);
        long shardA0 = 4L * 5 * 9, shardA2 = 4L * 7 * 9;
        var store = new ShardStore(
                DatasetDir.of(dir.toString()), f.info(), shardA0 + shardA2); // room for a's two non-empty shards
        var out = new int[9];
        var rnd = new SplittableRandom(3);
        for (int i = 0; i < 200; i++) {
            store.copyRow("train", 0, rnd.nextLong(12), out, 0);
            assertTrue(store.cachedBytes() <= shardA0 + shardA2, "cached " + store.cachedBytes());
        }
        assertEquals(2, store.shardReads(), "both shards fit: each read once");
        store.copyRow("train", 0, 0, out, 0); // a's shard 0, then shard 2: shard 0 is the least recently used
        store.copyRow("train", 0, 11, out, 0);
        store.copyRow("train", 1, 0, out, 0); // b's shard evicts a's shard 0 (and only it)
        assertEquals(3, store.shardReads());
        assertTrue(store.cachedBytes() <= shardA0 + shardA2);
        store.copyRow("train", 0, 11, out, 0); // shard 2 is still held
        assertEquals(3, store.shardReads());
        assertArrayEquals(f.rows("a", "train").get(11), out);
        store.copyRow("train", 0, 0, out, 0); // shard 0 is read again, evicting b's
        assertEquals(4, store.shardReads());
        assertArrayEquals(f.rows("a", "train").get(0), out);
        store.copyRow("train", 0, 11, out, 0);
        assertEquals(4, store.shardReads(), "shard 2 survived: the least recently used shard goes first");
        assertEquals(shardA0 + shardA2, store.cachedBytes());
    }

    @Test
    void cache_smallerThanOneShard_stillServesRows() throws IOException {
        Fixture f = dataset(dir, 9, 4, FORMAT_2);
        var store = new ShardStore(DatasetDir.of(dir.toString()), f.info(), 1);
        var out = new int[9];
        for (int g = 0; g < 12; g++) {
            store.copyRow("train", 0, g, out, 0);
            assertArrayEquals(f.rows("a", "train").get(g), out);
        }
        assertEquals(4L * 7 * 9, store.cachedBytes(), "only the shard in use is kept");
    }

    @Test
    void fileUriAndBarePath_readTheSameRows() throws IOException {
        Fixture f = dataset(dir, 5, 5, FORMAT_2);
        var bare = ShardStore.open(dir.toString(), 1 << 20);
        var uri = ShardStore.open(dir.toUri().toString(), 1 << 20);
        assertTrue(uri.dir().uri().startsWith("file:"), uri.dir().uri());
        var x = new int[5];
        var y = new int[5];
        for (int g = 0; g < 4; g++) {
            bare.copyRow("train", 1, g, x, 0);
            uri.copyRow("train", 1, g, y, 0);
            assertArrayEquals(x, y);
            assertArrayEquals(f.rows("b", "train").get(g), y);
        }
    }

    @Test
    void format1ListShards_readTheSame() throws IOException {
        Fixture f = dataset(dir, 6, 6, FORMAT_1);
        var store = ShardStore.open(dir.toString(), 1 << 20);
        var out = new int[6];
        for (int g = 0; g < 12; g++) {
            store.copyRow("train", 0, g, out, 0);
            assertArrayEquals(f.rows("a", "train").get(g), out);
        }
        assertArrayEquals(
                f.rows("a", "train").get(0),
                ShardReader.read(dir.resolve("a/train/part-00000.parquet").toString(), 1)
                        .get(0)
                        .tokens());
    }

    @Test
    void shardWithOtherRowCountThanDatasetJson_isAClearError() throws IOException {
        Fixture f = dataset(dir, 5, 7, FORMAT_2);
        write(
                dir.resolve("b/train/part-00000.parquet"),
                f.rows("b", "train").subList(0, 3),
                FORMAT_2); // dataset.json says 4
        var store = ShardStore.open(dir.toString(), 1 << 20);
        var e = assertThrows(UserException.class, () -> store.copyRow("train", 1, 0, new int[5], 0));
        assertTrue(e.getMessage().contains("has 3 rows but dataset.json says 4"), e.getMessage());
        var past = assertThrows(UserException.class, () -> store.copyRow("train", 0, 12, new int[5], 0));
        assertTrue(past.getMessage().contains("row 12 is outside domain 'a'"), past.getMessage());
    }

    @Test
    void datasetJson_missing_saysItIsNotADataset() {
        var e = assertThrows(UserException.class, () -> DatasetInfo.read(dir.toString()));
        assertTrue(e.getMessage().contains("is not a dataset"), e.getMessage());
    }

    @Test
    void tokenCodec_roundTrips() {
        var rnd = new SplittableRandom(8);
        for (int n = 0; n < 50; n++) {
            var t = new int[n];
            for (int i = 0; i < n; i++) t[i] = rnd.nextInt();
            assertArrayEquals(t, ShardSchema.unpackTokens(ShardSchema.packTokens(t), 0, 4 * n));
        }
        assertArrayEquals(
                new int[] {1, 256},
                ShardSchema.unpackTokens(new byte[] {1, 0, 0, 0, 0, 1, 0, 0}, 0, 8),
                "little-endian");
        assertThrows(IllegalArgumentException.class, () -> ShardSchema.unpackTokens(new byte[6], 0, 6));
    }

    @Test
    void shardIndex_mapsGlobalRowsToShardAndRow() {
        var index = new ShardIndex(new long[] {5, 0, 7, 0});
        assertEquals(12, index.total());
        for (long g = 0; g < 12; g++) {
            int s = index.shard(g);
            assertEquals(g < 5 ? 0 : 2, s, "row " + g);
            assertEquals(g < 5 ? g : g - 5, index.rowInShard(g, s));
        }
    }
}
