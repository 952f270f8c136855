package io.pikemix.training;

import io.pikemix.etl.ShardReader;
import io.pikemix.format.Checks;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.UserException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows of an ETL dataset ({@code DIR/<domain>/<split>/part-NNNNN.parquet}, dataset.json) by (domain, shard,
 * row): each shard's token column is read once, on first use, into one flat {@code int[rows · (T+1)]}, so a
 * step's batch is a few array copies. Shards of the demo are a few MB; memory is the sum of the shards touched.
 */
public final class TokenStore implements RowSource {
    private final Path dir;
    private final DatasetInfo info;
    private final String split;
    private final Map<Long, int[]> loaded = new HashMap<>();

    public TokenStore(Path dir, DatasetInfo info, String split) {
        this.dir = dir;
        this.info = info;
        this.split = split;
    }

    @Override public int rowLength() { return info.rowLength(); }

    @Override public int domains() { return info.domains().size(); }

    @Override public long rows(int domain) {
        return info.domains().get(domain).split(split).sequences();
    }

    @Override public void copyRow(int domain, int shard, long row, int[] into) {
        int[] tokens = shard(domain, shard);
        int L = info.rowLength();
        Checks.require((row + 1) * L <= tokens.length, "domain %s shard %d has %d rows, asked for row %d",
                info.domains().get(domain).name(), shard, tokens.length / L, row);
        System.arraycopy(tokens, (int) (row * L), into, 0, L);
    }

    /** Global row index g of a domain's split → (shard, row inside the shard). */
    @Override public void copyRow(int domain, long globalRow, int[] into) {
        List<DatasetInfo.ShardInfo> shards = info.domains().get(domain).split(split).shards();
        long g = globalRow;
        for (int s = 0; s < shards.size(); s++) {
            if (g < shards.get(s).rows()) { copyRow(domain, s, g, into); return; }
            g -= shards.get(s).rows();
        }
        throw new IllegalArgumentException("row " + globalRow + " is past the end of domain " + domain);
    }

    private int[] shard(int domain, int shard) {
        return loaded.computeIfAbsent(((long) domain << 32) | shard, key -> read(domain, shard));
    }

    private int[] read(int domain, int shard) {
        DatasetInfo.DomainInfo d = info.domains().get(domain);
        DatasetInfo.ShardInfo s = d.split(split).shards().get(shard);
        int L = info.rowLength();
        Path file = dir.resolve(s.path());
        try {
            List<ShardReader.ShardRow> rows = ShardReader.read(file.toString(), -1);
            Checks.require(rows.size() == s.rows(), "%s has %d rows but dataset.json says %d", file, rows.size(), s.rows());
            var flat = new int[Math.toIntExact((long) rows.size() * L)];
            for (int r = 0; r < rows.size(); r++) {
                int[] t = rows.get(r).tokens();
                Checks.require(t.length == L, "%s row %d has %d tokens, expected row_length %d", file, r, t.length, L);
                System.arraycopy(t, 0, flat, r * L, L);
            }
            return flat;
        } catch (IOException e) {
            throw new UserException("cannot read shard " + file + ": " + e.getMessage(), e);
        }
    }
}
