package io.pikemix.etl;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads shard rows without Spark (parquet-hadoop's example Group API), for {@code pike inspect} and tests.
 * The ETL writes {@code tokens} as a two-level Parquet LIST ({@code tokens.array[]}); the standard three-level
 * form ({@code tokens.list[].element}) is read too.
 */
public final class ShardReader {
    private ShardReader() {}

    /** One shard row. */
    public record ShardRow(long seqId, int[] tokens) {}

    /** The first {@code limit} rows of a shard file (all when limit &lt; 0). */
    public static List<ShardRow> read(String file, int limit) throws IOException {
        var rows = new ArrayList<ShardRow>();
        try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), new Path(file))
                .withConf(new Configuration()).build()) {
            for (Group g; (limit < 0 || rows.size() < limit) && (g = reader.read()) != null; ) {
                Group list = g.getGroup("tokens", 0);
                int[] tokens;
                if (list.getType().containsField("list")) {           // standard three-level LIST
                    int n = list.getFieldRepetitionCount("list");
                    tokens = new int[n];
                    for (int i = 0; i < n; i++) tokens[i] = list.getGroup("list", i).getInteger("element", 0);
                } else {                                                // two-level: repeated int32 inside the group
                    String field = list.getType().getFieldName(0);
                    int n = list.getFieldRepetitionCount(field);
                    tokens = new int[n];
                    for (int i = 0; i < n; i++) tokens[i] = list.getInteger(field, i);
                }
                rows.add(new ShardRow(g.getLong("seq_id", 0), tokens));
            }
        }
        return rows;
    }
}
