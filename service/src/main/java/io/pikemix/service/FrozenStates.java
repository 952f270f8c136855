package io.pikemix.service;

import io.pikemix.mixer.MixerState;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * {@code STATE/states.bin}: the {@link MixerState} composing every frozen step, one fixed-size record per step (the
 * step, then the K weights, carries, epochs and cursor positions as little-endian 64-bit values: 8 + 32·K bytes),
 * so the manifest of any frozen step can be recomputed ({@code Mixer.plan}) without keeping the states in memory.
 * Derived data: emptied on open and rewritten while the event log replays, never read on start, never forced
 * (the page cache serves the reads; a crash loses nothing the replay does not rebuild). Not thread-safe (the
 * core's lock guards it).
 */
final class FrozenStates implements Closeable {
    static final String FILE = "states.bin";

    private final ScratchFile file;
    private final long seed;
    private final int K;
    private final ByteBuffer record;
    private long count;

    FrozenStates(Path dir, long seed, int domains) {
        this.file = new ScratchFile(dir.resolve(FILE));
        this.seed = seed;
        this.K = domains;
        this.record = ByteBuffer.allocate(8 + 32 * domains).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    /** Appends the state composing step {@link #count()}. */
    void add(MixerState s) {
        if (s.step() != count) throw new IllegalStateException("state of step " + s.step() + ", expected " + count);
        record.clear().putLong(s.step());
        for (double w : s.weights()) record.putDouble(w);
        for (double c : s.carry()) record.putDouble(c);
        for (long e : s.epochs()) record.putLong(e);
        for (long p : s.positions()) record.putLong(p);
        record.flip();
        file.write(record, count * record.capacity());
        count++;
    }

    /** The state composing frozen step {@code step} (< {@link #count()}). */
    MixerState get(long step) {
        if (step < 0 || step >= count) throw new IllegalArgumentException("step " + step + " is not frozen");
        record.clear();
        try {
            long at = step * record.capacity();
            while (record.hasRemaining()) {
                int n = file.read(record, at + record.position());
                if (n < 0) throw new IOException("unexpected end of file");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file.path, e);
        }
        record.flip();
        long at = record.getLong();
        if (at != step)
            throw new IllegalStateException(file.path + " holds step " + at + " where step " + step + " belongs");
        var w = new double[K];
        var c = new double[K];
        var e = new long[K];
        var p = new long[K];
        for (int k = 0; k < K; k++) w[k] = record.getDouble();
        for (int k = 0; k < K; k++) c[k] = record.getDouble();
        for (int k = 0; k < K; k++) e[k] = record.getLong();
        for (int k = 0; k < K; k++) p[k] = record.getLong();
        return new MixerState(seed, step, w, c, e, p);
    }

    /** Frozen steps recorded (0..count-1). */
    long count() {
        return count;
    }

    @Override
    public void close() {
        file.close();
    }
}
