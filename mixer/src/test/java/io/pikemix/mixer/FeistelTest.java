package io.pikemix.mixer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class FeistelTest {

    @Test
    void apply_isBijectionOnRange() {
        long[] sizes = {1, 2, 3, 4, 5, 7, 10, 16, 17, 99, 100, 101, 255, 256, 257, 1000, 4093, 10_007, 65_536, 65_537};
        for (long n : sizes)
            for (long epoch = 0; epoch < 3; epoch++) {
                var p = new Feistel(n, 42, 3, epoch);
                var seen = new BitSet((int) n);
                for (long x = 0; x < n; x++) {
                    long y = p.apply(x);
                    assertTrue(y >= 0 && y < n, "in range");
                    assertFalse(seen.get((int) y), "n=" + n + ": " + y + " hit twice");
                    seen.set((int) y);
                }
            }
    }

    @Test
    void apply_keyedBySeedDomainAndEpoch() {
        long n = 1000;
        var base = order(new Feistel(n, 1, 0, 0), n);
        assertFalse(java.util.Arrays.equals(base, order(new Feistel(n, 2, 0, 0), n)), "seed");
        assertFalse(java.util.Arrays.equals(base, order(new Feistel(n, 1, 1, 0), n)), "domain");
        assertFalse(java.util.Arrays.equals(base, order(new Feistel(n, 1, 0, 1), n)), "epoch");
        assertArrayEquals(base, order(new Feistel(n, 1, 0, 0), n), "deterministic");
    }

    /*
     * Position uniformity at n = 10 over 20,000 keys: for each x, the counts of π(x) = y over y are χ² with
     * 9 degrees of freedom under uniformity; 27.9 is the 0.999 quantile (deterministic keys, so no flakiness).
     */
    @Test
    void apply_imagesUniformOverKeys_chiSquare() {
        int n = 10, keys = 20_000;
        var counts = new int[n][n];
        for (int key = 0; key < keys; key++) {
            var p = new Feistel(n, key, 0, 0);
            for (int x = 0; x < n; x++) counts[x][(int) p.apply(x)]++;
        }
        double expected = (double) keys / n;
        for (int x = 0; x < n; x++) {
            double chi = 0;
            for (int y = 0; y < n; y++) chi += Math.pow(counts[x][y] - expected, 2) / expected;
            assertTrue(chi < 27.9, "chi2 for x=" + x + " is " + chi);
        }
    }

    /* No linear trace of the input order: |corr(x, π(x))| and |corr(π(x), π(x+1))| below 4/√n at n = 10,007. */
    @Test
    void apply_noCorrelationWithInputOrder() {
        int n = 10_007;
        long[] y = order(new Feistel(n, 7, 0, 0), n);
        double[] xs = new double[n], ys = new double[n], next = new double[n - 1], prev = new double[n - 1];
        for (int i = 0; i < n; i++) {
            xs[i] = i;
            ys[i] = y[i];
        }
        for (int i = 0; i + 1 < n; i++) {
            prev[i] = y[i];
            next[i] = y[i + 1];
        }
        assertTrue(Math.abs(corr(xs, ys)) < 4 / Math.sqrt(n));
        assertTrue(Math.abs(corr(prev, next)) < 4 / Math.sqrt(n));
    }

    /* 2^40 rows: nothing is materialised; a sample of images is in range and collision-free. */
    @Test
    void apply_hugeDomainWithoutMaterialising() {
        long n = 1L << 40;
        var p = new Feistel(n, 9, 1, 0);
        var seen = new java.util.HashSet<Long>();
        for (long x = 0; x < 100_000; x++) {
            long y = p.apply(x * 10_995_116L);
            assertTrue(y >= 0 && y < n);
            assertTrue(seen.add(y));
        }
    }

    static long[] order(Feistel p, long n) {
        var out = new long[(int) n];
        for (int x = 0; x < n; x++) out[x] = p.apply(x);
        return out;
    }

    static double corr(double[] a, double[] b) {
        int n = a.length;
        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= n;
        mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }
}
