package io.pikemix.service;

import io.pikemix.etl.ShardReader;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.UserException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The token rows of training shards, loaded once per shard into one {@code int[rows · rowLength]} and kept in a
 * least-recently-used cache bounded by {@code maxBytes}: {@link ShardReader} reads a few MB shard in well under
 * a second, after which a {@code /v1/batch} is array copies. Two requests for the same missing shard load it once.
 */
final class ShardCache {
    private final Path dir;
    private final DatasetInfo dataset;
    private final long maxBytes;
    private final LinkedHashMap<String, int[]> cache = new LinkedHashMap<>(64, 0.75f, true);
    private final Map<String, Object> loading = new ConcurrentHashMap<>();
    private long bytes;

    ShardCache(Path dir, DatasetInfo dataset, long maxBytes) {
        this.dir = dir;
        this.dataset = dataset;
        this.maxBytes = maxBytes;
    }

    int rowLength() { return dataset.rowLength(); }

    /** Copies row {@code row} of shard {@code shard} of domain {@code domain} into {@code out} at {@code offset}. */
    void copyRow(int domain, int shard, long row, int[] out, int offset) {
        int[] tokens = shard(domain, shard);
        int L = dataset.rowLength();
        System.arraycopy(tokens, (int) (row * L), out, offset, L);
    }

    private int[] shard(int domain, int shard) {
        String key = domain + "/" + shard;
        int[] t = cached(key);
        if (t != null) return t;
        synchronized (loading.computeIfAbsent(key, k -> new Object())) {
            t = cached(key);
            if (t != null) return t;
            t = load(domain, shard);
            synchronized (cache) {
                cache.put(key, t);
                bytes += 4L * t.length;
                var it = cache.entrySet().iterator();
                while (bytes > maxBytes && cache.size() > 1) {
                    var e = it.next();
                    if (e.getKey().equals(key)) continue;
                    bytes -= 4L * e.getValue().length;
                    it.remove();
                }
            }
            return t;
        }
    }

    private int[] cached(String key) {
        synchronized (cache) { return cache.get(key); }
    }

    private int[] load(int domain, int shard) {
        DatasetInfo.DomainInfo d = dataset.domains().get(domain);
        DatasetInfo.ShardInfo info = d.split("train").shards().get(shard);
        Path file = dir.resolve(info.path());
        int L = dataset.rowLength();
        List<ShardReader.ShardRow> rows;
        try {
            rows = ShardReader.read(file.toString(), -1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read shard " + file, e);
        }
        if (rows.size() != info.rows())
            throw new UserException("shard " + file + " has " + rows.size() + " rows but dataset.json says " + info.rows()
                    + "; the dataset changed under the service — restart it on an unchanged dataset");
        var out = new int[Math.multiplyExact(rows.size(), L)];
        for (int r = 0; r < rows.size(); r++) {
            int[] tok = rows.get(r).tokens();
            if (tok.length != L) throw new UserException("shard " + file + " row " + r + " has " + tok.length + " tokens, expected " + L);
            System.arraycopy(tok, 0, out, r * L, L);
        }
        return out;
    }
}
