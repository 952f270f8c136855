package io.pikemix.format;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The token rows of a dataset ({@link DatasetDir}: a local directory or any Hadoop FileSystem URI) by
 * (split, domain, global row) or (split, domain, shard, row). Each shard is read once ({@link ShardReader})
 * into one flat {@code int[rows · rowLength]}, so a batch is a few array copies, and kept in a least-recently-used
 * cache bounded by {@code maxBytes} (4 bytes a token; the shard being read is kept even when it alone exceeds
 * the bound). A global row finds its shard by binary search over the shard row counts ({@link ShardIndex}, the
 * mixer's mapping). Thread-safe: two threads that miss the same shard read it once.
 */
public final class ShardStore {
    /** The default bound, {@code --shard-cache-mb}: 1 GiB, about 268 M tokens. */
    public static final long DEFAULT_CACHE_MB = 1024;

    private record Key(String split, int domain, int shard) {}

    private final DatasetDir dir;
    private final DatasetInfo info;
    private final long maxBytes;
    private final Map<String, ShardIndex[]> indexes = new HashMap<>();
    private final LinkedHashMap<Key, int[]> cache = new LinkedHashMap<>(64, 0.75f, true);
    private final Map<Key, Object> loading = new ConcurrentHashMap<>();
    private long bytes, reads;

    ShardStore(DatasetDir dir, DatasetInfo info, long maxBytes) {
        Checks.require(maxBytes > 0, "the shard cache bound must be > 0 bytes, got %d (--shard-cache-mb)", maxBytes);
        this.dir = dir;
        this.info = info;
        this.maxBytes = maxBytes;
        for (String split : DatasetInfo.SPLITS) {
            var byDomain = new ShardIndex[info.domains().size()];
            for (int k = 0; k < byDomain.length; k++) {
                var s = info.domains().get(k).splits().get(split);
                byDomain[k] = new ShardIndex(
                        s == null
                                ? new long[0]
                                : s.shards().stream()
                                        .mapToLong(DatasetInfo.ShardInfo::rows)
                                        .toArray());
            }
            indexes.put(split, byDomain);
        }
    }

    /** The dataset at {@code uri} (dataset.json read now), caching at most {@code maxBytes} of tokens. */
    public static ShardStore open(String uri, long maxBytes) {
        DatasetDir dir = DatasetDir.of(uri);
        return new ShardStore(dir, DatasetInfo.read(dir), maxBytes);
    }

    DatasetDir dir() {
        return dir;
    }

    public DatasetInfo info() {
        return info;
    }

    public int rowLength() {
        return info.rowLength();
    }

    /** Rows of a domain's split. */
    public long rows(String split, int domain) {
        return index(split, domain).total();
    }

    /** Copies the domain's {@code globalRow}-th row of the split (its shards in order) into {@code into} at {@code offset}. */
    public void copyRow(String split, int domain, long globalRow, int[] into, int offset) {
        ShardIndex index = index(split, domain);
        Checks.require(
                globalRow >= 0 && globalRow < index.total(),
                "row %d is outside domain '%s' (%s split, %d rows)",
                globalRow,
                info.domains().get(domain).name(),
                split,
                index.total());
        int shard = index.shard(globalRow);
        copyRow(split, domain, shard, index.rowInShard(globalRow, shard), into, offset);
    }

    /** Copies row {@code row} of shard {@code shard} (as the mixer's manifests address it) into {@code into} at {@code offset}. */
    public void copyRow(String split, int domain, int shard, long row, int[] into, int offset) {
        int[] tokens = shard(new Key(split, domain, shard));
        int L = info.rowLength();
        Checks.require(
                row >= 0 && (row + 1) * L <= tokens.length,
                "domain '%s' %s shard %d has %d rows, asked for row %d",
                info.domains().get(domain).name(),
                split,
                shard,
                tokens.length / L,
                row);
        System.arraycopy(tokens, (int) (row * L), into, offset, L);
    }

    /** Bytes of tokens held now (at most the bound, or one shard when a single shard exceeds it). */
    long cachedBytes() {
        synchronized (cache) {
            return bytes;
        }
    }

    /** Shard files read so far (a shard evicted and needed again is read again). */
    long shardReads() {
        synchronized (cache) {
            return reads;
        }
    }

    private ShardIndex index(String split, int domain) {
        ShardIndex[] byDomain = indexes.get(split);
        Checks.require(byDomain != null, "no split '%s' (splits are %s)", split, DatasetInfo.SPLITS);
        Checks.require(
                domain >= 0 && domain < byDomain.length,
                "domain %d is outside the dataset's %d domains",
                domain,
                byDomain.length);
        return byDomain[domain];
    }

    private int[] shard(Key key) {
        int[] t = cached(key);
        if (t != null) return t;
        synchronized (loading.computeIfAbsent(key, k -> new Object())) {
            t = cached(key);
            if (t != null) return t;
            t = read(key);
            synchronized (cache) {
                cache.put(key, t);
                bytes += 4L * t.length;
                reads++;
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

    private int[] cached(Key key) {
        synchronized (cache) {
            return cache.get(key);
        }
    }

    private int[] read(Key key) {
        DatasetInfo.DomainInfo d = info.domains().get(key.domain());
        List<DatasetInfo.ShardInfo> shards = d.split(key.split()).shards();
        Checks.require(
                key.shard() >= 0 && key.shard() < shards.size(),
                "domain '%s' %s has %d shards, asked for shard %d",
                d.name(),
                key.split(),
                shards.size(),
                key.shard());
        DatasetInfo.ShardInfo s = shards.get(key.shard());
        var file = dir.resolve(s.path());
        List<ShardReader.ShardRow> rows;
        try {
            rows = ShardReader.read(dir.conf(), file, -1);
        } catch (IOException | RuntimeException e) { // parquet-hadoop reports a damaged file or schema unchecked
            throw new UserException(
                    "cannot read shard " + file + ": " + DatasetDir.firstLine(e)
                            + " (was the dataset changed or moved after dataset.json was written?)",
                    e);
        }
        int L = info.rowLength();
        Checks.require(rows.size() == s.rows(), "%s has %d rows but dataset.json says %d", file, rows.size(), s.rows());
        Checks.require(
                (long) rows.size() * L <= Integer.MAX_VALUE - 8,
                "%s: %d rows of %d tokens do not fit one Java array; write smaller shards",
                file,
                rows.size(),
                L);
        var flat = new int[rows.size() * L];
        for (int r = 0; r < rows.size(); r++) {
            int[] t = rows.get(r).tokens();
            Checks.require(t.length == L, "%s row %d has %d tokens, expected row_length %d", file, r, t.length, L);
            System.arraycopy(t, 0, flat, r * L, L);
        }
        return flat;
    }
}
