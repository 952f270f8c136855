package io.pikemix.format;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A damaged dataset (issue 16, docs/reliability.md): every case is a {@link UserException} (the CLI's one line,
 * exit 2) naming the file, never a Parquet or Jackson stack trace. The dataset is {@link ShardStoreTest#dataset}:
 * real zstd Parquet shards; domain "a" has training shards of 5, 0 and 7 rows of 5 tokens.
 */
class DatasetBadInputTest {
    @TempDir
    Path dir;

    interface Damage {
        void apply(Path dataset) throws IOException;
    }

    static Arguments damage(String name, Damage d, String says) {
        return Arguments.of(Named.of(name, d), says);
    }

    static String json(Path dataset) throws IOException {
        return Files.readString(dataset.resolve(DatasetInfo.FILE_NAME));
    }

    static void json(Path dataset, String text) throws IOException {
        Files.writeString(dataset.resolve(DatasetInfo.FILE_NAME), text);
    }

    static final String SHARD = "a/train/part-00002.parquet";

    static Stream<Arguments> damages() {
        return Stream.of(
                damage("a shard deleted", d -> Files.delete(d.resolve(SHARD)), "cannot read shard"),
                damage(
                        "a shard truncated",
                        d -> {
                            byte[] b = Files.readAllBytes(d.resolve(SHARD));
                            Files.write(d.resolve(SHARD), Arrays.copyOf(b, b.length / 2));
                        },
                        "cannot read shard"),
                damage(
                        "a shard that is not Parquet",
                        d -> Files.writeString(d.resolve(SHARD), "PAR1 this is not a parquet file at all PAR1"),
                        "cannot read shard"),
                damage(
                        "a shard with the wrong schema (no tokens column)",
                        d -> writeTextShard(d.resolve(SHARD)),
                        "cannot read shard"),
                damage(
                        "a shard with fewer rows than dataset.json says",
                        d -> ShardStoreTest.write(
                                d.resolve(SHARD), List.of(new int[5], new int[5]), ShardStoreTest.FORMAT_2),
                        "has 2 rows but dataset.json says 7"),
                damage(
                        "rows shorter than dataset.json's row_length (context disagrees)",
                        d -> {
                            var rows = new java.util.ArrayList<int[]>();
                            for (int i = 0; i < 7; i++) rows.add(new int[4]);
                            ShardStoreTest.write(d.resolve(SHARD), rows, ShardStoreTest.FORMAT_2);
                        },
                        "row 0 has 4 tokens, expected row_length 5"),
                damage(
                        "format_version from the future",
                        d -> json(d, json(d).replaceFirst("\"format_version\"\\s*:\\s*2", "\"format_version\" : 99")),
                        "format_version 99, this build reads 1 and 2"),
                damage("dataset.json not JSON", d -> json(d, "{\"format_version\": 2, "), "unreadable"),
                damage("dataset.json a JSON array", d -> json(d, "[1, 2]"), "unreadable"),
                damage(
                        "dataset.json missing",
                        d -> Files.delete(d.resolve(DatasetInfo.FILE_NAME)),
                        "is not a dataset: no dataset.json"));
    }

    /** A Parquet file of 7 rows (seq_id, text): a real shard of some other schema. */
    static void writeTextShard(Path file) throws IOException {
        var schema = MessageTypeParser.parseMessageType(
                "message shard { required int64 seq_id; required binary text (UTF8); }");
        var groups = new org.apache.parquet.example.data.simple.SimpleGroupFactory(schema);
        Files.delete(file);
        try (var w = org.apache.parquet.hadoop.example.ExampleParquetWriter.builder(
                        new org.apache.hadoop.fs.Path(file.toUri()))
                .withType(schema)
                .withConf(new org.apache.hadoop.conf.Configuration())
                .build()) {
            for (long i = 0; i < 7; i++)
                w.write(groups.newGroup().append("seq_id", i).append("text", "row " + i));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("damages")
    void damagedDataset_isAUserErrorNamingTheProblem(Damage damage, String says) throws Exception {
        ShardStoreTest.dataset(dir, 5, 3, ShardStoreTest.FORMAT_2);
        damage.apply(dir);
        var e = assertThrows(UserException.class, () -> {
            var store = ShardStore.open(dir.toString(), 1 << 20);
            var out = new int[5];
            for (int g = 0; g < 12; g++) store.copyRow("train", 0, g, out, 0);
        });
        assertTrue(e.getMessage().contains(says), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
    }
}
