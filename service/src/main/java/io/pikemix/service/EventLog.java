package io.pikemix.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.UserException;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The service's write-ahead log, {@code STATE/events.jsonl}: one JSON object per accepted event (statistics
 * report, weight pin or release, manifest freeze), appended and {@code fsync}ed before the request is answered.
 * Replaying the lines in order rebuilds the exact state.
 *
 * <p>Group commit: {@link #write} appends without forcing; {@link #sync()} forces everything written so far, and
 * concurrent callers share one {@link FileChannel#force}. The server calls {@link #syncTo} with the position its
 * answer depends on before answering, so nothing is acknowledged or shown before it is durable; a read whose state
 * is already durable returns without taking the sync lock, and events no answer waits for yet (manifests frozen
 * ahead of the readers) are forced by {@link #syncLater()} on a background thread.
 *
 * <p>Crash safety: an event is acknowledged only after {@link FileChannel#force}, so only the last line can be
 * incomplete (a crash during the write); on {@link #replay}, an incomplete or unparsable <em>last</em> line is cut
 * off (its request was never answered). A bad line anywhere else means the file was edited or damaged: the service refuses
 * to start. {@code STATE/lock} holds an exclusive lock while the service runs, so two servers never share a log.
 */
final class EventLog implements Closeable {
    static final String FILE = "events.jsonl";

    private final Path file;
    private final FileChannel channel;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private String truncated;

    EventLog(Path dir) {
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock held;
            try {
                held = lockChannel.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) { // held by this JVM
                held = null;
            }
            lock = held;
            if (lock == null) {
                lockChannel.close();
                throw new UserException(
                        "state directory " + dir + " is in use by another mixer service (STATE/lock is held)");
            }
            file = dir.resolve(FILE);
            boolean created = !Files.exists(file);
            channel = FileChannel.open(
                    file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (created) syncDirectory(dir);
            long size = channel.size();
            channel.position(size);
            written = forced = size;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Receives the events of the log in order, with their line numbers (1-based). */
    interface Replay {
        void event(int line, JsonNode event);
    }

    /**
     * Streams the events on file to {@code replay}, in order, one line at a time (the log is never held in memory
     * as a whole), and cuts off an incomplete or unparsable last line. Call once, before the first {@link #write}.
     */
    void replay(Replay replay) {
        try (InputStream in = Files.newInputStream(file)) {
            var buf = new byte[1 << 16];
            var line = new ByteArrayOutputStream(1024);
            byte[] pending = null; // a complete line, replayed once it is known whether another line follows
            long start = 0; // file offset of `pending` (of `line` when there is none)
            int number = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                int from = 0;
                for (int i = 0; i < n; i++)
                    if (buf[i] == '\n') {
                        line.write(buf, from, i - from);
                        from = i + 1;
                        if (pending != null) start = apply(replay, ++number, pending, start, false);
                        pending = line.toByteArray();
                        line.reset();
                    }
                line.write(buf, from, n - from);
            }
            if (line.size() > 0) { // an incomplete last line: its write was cut short, its request never answered
                if (pending != null) start = apply(replay, ++number, pending, start, false);
                cut(start, number + 1);
            } else if (pending != null) apply(replay, ++number, pending, start, true);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
    }

    /** Replays line {@code number} found at {@code start}; returns the offset of the next line. */
    private long apply(Replay replay, int number, byte[] line, long start, boolean last) throws IOException {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(line);
        } catch (IOException e) {
            node = null;
        }
        if (node == null || !node.isObject()) {
            if (!last)
                throw new UserException(file + " line " + number + " is damaged (not one JSON object); "
                        + "restore the state directory from a backup or start a new run with an empty --state");
            cut(start, number);
            return start;
        }
        replay.event(number, node);
        return start + line.length + 1;
    }

    private void cut(long start, int number) throws IOException {
        long size = channel.size();
        channel.truncate(start);
        channel.force(true);
        channel.position(start);
        written = forced = start;
        truncated = (size - start) + " bytes of an unacknowledged event (line " + number + ")";
    }

    /** What {@link #replay} cut off the end (null when the file was clean). */
    String truncatedTail() {
        return truncated;
    }

    /** The force in progress (null: none); its waiters join it. */
    private final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CompletableFuture<Void>> forcing =
            new java.util.concurrent.atomic.AtomicReference<>();

    private volatile long written;
    private volatile long forced;
    private final java.util.concurrent.ExecutorService background =
            java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                var t = new Thread(r, "event-log-sync");
                t.setDaemon(true);
                return t;
            });
    private final java.util.concurrent.atomic.AtomicBoolean backgroundQueued =
            new java.util.concurrent.atomic.AtomicBoolean();

    /** Appends one event (not yet durable: see {@link #sync()}); returns the log position after it. */
    synchronized long write(byte[] json) {
        var buf =
                ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
        try {
            while (buf.hasRemaining()) channel.write(buf);
            written = channel.position();
            return written;
        } catch (IOException e) {
            throw new UncheckedIOException("could not append to " + file, e);
        }
    }

    /** True when everything up to log position {@code pos} is on disk (never blocks). */
    boolean durable(long pos) {
        return forced >= pos;
    }

    /** Returns once every event written before this call is on disk (one fsync shared by concurrent callers). */
    void sync() {
        syncTo(written);
    }

    /**
     * Returns once the log is on disk up to position {@code pos}: at once when it already is (no lock taken, so a
     * reader whose answer is durable never queues behind a writer's fsync); otherwise one {@link FileChannel#force}
     * covers every event written so far, shared by all callers waiting meanwhile (group commit). One caller at a time
     * forces (the one that installs {@link #forcing}); the others wait for that force to end, all woken together
     * (not one after the other, as the waiters on a monitor are: with 8 reports of a step arriving at once on 2
     * cores, that hand-over cost the 6th and 7th waiter about 1 ms at the median and up to 3.5 ms, bench/RESULTS.md
     * 2026-11-28), and return when it covered them or else force again themselves. A failed force makes each of its
     * waiters try its own, which throws in turn when the file cannot be forced.
     */
    void syncTo(long pos) {
        while (forced < pos) {
            java.util.concurrent.CompletableFuture<Void> running = forcing.get();
            if (running != null) {
                running.join(); // completes normally, whether or not its force succeeded
                continue;
            }
            var mine = new java.util.concurrent.CompletableFuture<Void>();
            if (!forcing.compareAndSet(null, mine)) continue;
            try {
                if (forced >= pos) return; // a force that ended between the check and the CAS covered it
                long upTo = written;
                try {
                    channel.force(false);
                } catch (IOException e) {
                    throw new UncheckedIOException("could not fsync " + file, e);
                }
                forced = upTo; // only the caller holding `forcing` writes it: it never goes back
            } finally {
                forcing.set(null);
                mine.complete(null);
            }
        }
    }

    /** Makes everything written so far durable on a background thread (for events no answer waits for yet). */
    void syncLater() {
        if (!backgroundQueued.compareAndSet(false, true)) return;
        try {
            background.execute(() -> {
                backgroundQueued.set(false);
                try {
                    sync();
                } catch (UncheckedIOException e) {
                    if (channel.isOpen()) throw e; // closed meanwhile: close() forced the log
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            backgroundQueued.set(false); // closing: close() forces the log
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some file systems cannot sync a directory; the file itself is still forced on every append
        }
    }

    @Override
    public synchronized void close() {
        if (!channel.isOpen()) return;
        background.shutdown();
        try {
            background.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (forced < written) channel.force(false);
            channel.close();
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
