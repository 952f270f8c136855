package io.pikemix.format;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;

/**
 * Reads shard rows without Spark (parquet-hadoop's example Group API) from any Hadoop FileSystem, for
 * {@link ShardStore}, {@code pike inspect} and tests. Format 2 (the ETL's): {@code tokens} is binary, little-endian int32
 * ({@link ShardSchema#packTokens}). Format 1 shards ({@code tokens} a two-level Parquet LIST, {@code tokens.array[]},
 * or the standard three-level {@code tokens.list[].element}) are read too.
 */
public final class ShardReader {
    private ShardReader() {}

    /** One shard row. */
    public record ShardRow(long seqId, int[] tokens) {}

    /** The first {@code limit} rows (all when limit &lt; 0) of a shard: a bare local path or a Hadoop URI. */
    public static List<ShardRow> read(String file, int limit) throws IOException {
        return read(new Configuration(), DatasetDir.hadoopPath(file), limit);
    }

    /** The first {@code limit} rows of a shard file (all when limit &lt; 0). */
    public static List<ShardRow> read(Configuration conf, Path file, int limit) throws IOException {
        var rows = new ArrayList<ShardRow>();
        try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), file)
                .withConf(conf)
                .build()) {
            for (Group g; (limit < 0 || rows.size() < limit) && (g = reader.read()) != null; ) {
                rows.add(new ShardRow(g.getLong(ShardSchema.SEQ_ID, 0), tokens(g)));
            }
        }
        return rows;
    }

    private static int[] tokens(Group g) {
        if (g.getType().getType(ShardSchema.TOKENS).isPrimitive()) { // format 2: packed int32
            byte[] b = g.getBinary(ShardSchema.TOKENS, 0).getBytesUnsafe();
            return ShardSchema.unpackTokens(b, 0, b.length);
        }
        Group list = g.getGroup(ShardSchema.TOKENS, 0); // format 1: a LIST
        int[] tokens;
        if (list.getType().containsField("list")) { // standard three-level LIST
            int n = list.getFieldRepetitionCount("list");
            tokens = new int[n];
            for (int i = 0; i < n; i++) tokens[i] = list.getGroup("list", i).getInteger("element", 0);
        } else { // two-level: repeated int32 inside the group
            String field = list.getType().getFieldName(0);
            int n = list.getFieldRepetitionCount(field);
            tokens = new int[n];
            for (int i = 0; i < n; i++) tokens[i] = list.getInteger(field, i);
        }
        return tokens;
    }
}
