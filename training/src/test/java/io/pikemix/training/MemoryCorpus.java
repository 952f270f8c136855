package io.pikemix.training;

import io.pikemix.mixer.DomainRows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * In-memory corpora for tests: rows per domain in one shard each. {@link #real} packs the bytes of the
 * repository's embedded corpus (corpus/genres/DOMAIN/*.gz) into rows of T+1 byte tokens (vocabulary 256);
 * {@link #random} draws uniform tokens.
 */
final class MemoryCorpus {
    private MemoryCorpus() {}

    record Rows(int rowLength, List<int[][]> data) implements RowSource {
        @Override
        public int domains() {
            return data.size();
        }

        @Override
        public long rows(int domain) {
            return data.get(domain).length;
        }

        @Override
        public void copyRow(int domain, int shard, long row, int[] into) {
            System.arraycopy(data.get(domain)[(int) row], 0, into, 0, rowLength);
        }

        @Override
        public void copyRow(int domain, long globalRow, int[] into) {
            copyRow(domain, 0, globalRow, into);
        }
    }

    static Corpus of(List<String> names, List<int[][]> train, List<int[][]> val, int vocab, int context) {
        var rows = new ArrayList<DomainRows>();
        var tokens = new long[names.size()];
        for (int k = 0; k < names.size(); k++) {
            rows.add(new DomainRows(names.get(k), new long[] {train.get(k).length}));
            tokens[k] = (long) train.get(k).length * context;
        }
        return new Corpus(
                names,
                rows,
                tokens,
                null,
                vocab,
                context,
                new Rows(context + 1, train),
                new Rows(context + 1, val),
                null);
    }

    static Corpus random(int domains, int rowsPerDomain, int vocab, int context, long seed) {
        var rnd = new SplittableRandom(seed);
        var names = new ArrayList<String>();
        var train = new ArrayList<int[][]>();
        var val = new ArrayList<int[][]>();
        for (int k = 0; k < domains; k++) {
            names.add("d" + k);
            train.add(randomRows(rnd, rowsPerDomain, vocab, context + 1));
            val.add(randomRows(rnd, 8, vocab, context + 1));
        }
        return of(names, train, val, vocab, context);
    }

    static int[][] randomRows(SplittableRandom rnd, int n, int vocab, int length) {
        var r = new int[n][length];
        for (int[] row : r) for (int i = 0; i < length; i++) row[i] = rnd.nextInt(vocab);
        return r;
    }

    /** Byte-level rows of the embedded corpus: the first {@code files} files of each domain, the last 10% of rows held out. */
    static Corpus real(List<String> domains, int files, int context) {
        var train = new ArrayList<int[][]>();
        var val = new ArrayList<int[][]>();
        Path root = repo().resolve("corpus/genres");
        for (String d : domains) {
            var bytes = new java.io.ByteArrayOutputStream();
            try (Stream<Path> s = Files.list(root.resolve(d))) {
                for (Path f : s.sorted().limit(files).toList())
                    try (var in = new GZIPInputStream(Files.newInputStream(f))) {
                        in.transferTo(bytes);
                    }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            byte[] b = bytes.toByteArray();
            int n = b.length / (context + 1);
            var rows = new int[n][context + 1];
            for (int r = 0; r < n; r++) for (int i = 0; i <= context; i++) rows[r][i] = b[r * (context + 1) + i] & 0xFF;
            int nVal = Math.max(4, n / 10);
            train.add(java.util.Arrays.copyOfRange(rows, 0, n - nVal));
            val.add(java.util.Arrays.copyOfRange(rows, n - nVal, n));
        }
        return of(domains, train, val, 256, context);
    }

    static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("corpus/genres"))) p = p.getParent();
        if (p == null)
            throw new IllegalStateException(
                    "corpus/genres not found above " + Path.of("").toAbsolutePath());
        return p;
    }

    static TrainConfig config(String strategy, long steps, int batch, int updateInterval) {
        return new TrainConfig(
                "memory",
                strategy,
                batch,
                7,
                new TrainConfig.ModelShape(1, 2, 32, GptConfig.FLAX_LN_EPSILON),
                new LrSchedule(1e-4, 3e-3, 1e-4, Math.max(1, steps / 10), steps),
                AdamW.Hyper.table6(),
                TrainConfig.Pike.defaults(),
                new TrainConfig.Statistics(updateInterval, 2, true),
                new TrainConfig.Cadence(Math.max(1, steps / 2), steps, 16, 1000));
    }
}
