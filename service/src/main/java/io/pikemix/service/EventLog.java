package io.pikemix.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.UserException;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The service's write-ahead log, {@code STATE/events.jsonl}: one JSON object per accepted event (statistics
 * report, weight pin or release, manifest freeze), appended and {@code fsync}ed before the request is answered.
 * Replaying the lines in order rebuilds the exact state.
 *
 * <p>Group commit: {@link #write} appends without forcing; {@link #sync()} forces everything written so far, and
 * concurrent callers share one {@link FileChannel#force}. The server calls {@code sync()} before every answer that
 * depends on the state, so nothing is acknowledged or shown before it is durable.
 *
 * <p>Crash safety: an event is acknowledged only after {@link FileChannel#force}, so only the last line can be
 * incomplete (a crash during the write); on open, an incomplete or unparsable <em>last</em> line is cut off (its
 * request was never answered). A bad line anywhere else means the file was edited or damaged: the service refuses
 * to start. {@code STATE/lock} holds an exclusive lock while the service runs, so two servers never share a log.
 */
final class EventLog implements Closeable {
    static final String FILE = "events.jsonl";

    private final Path file;
    private final FileChannel channel;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final List<JsonNode> recovered;
    private final String truncated;

    EventLog(Path dir) {
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock held;
            try {
                held = lockChannel.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {   // held by this JVM
                held = null;
            }
            lock = held;
            if (lock == null) {
                lockChannel.close();
                throw new UserException("state directory " + dir + " is in use by another mixer service (STATE/lock is held)");
            }
            file = dir.resolve(FILE);
            boolean created = !Files.exists(file);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (created) syncDirectory(dir);
            var lines = new ArrayList<JsonNode>();
            truncated = recover(lines);
            recovered = List.copyOf(lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The events found on open, in order. */
    List<JsonNode> events() { return recovered; }

    /** What was cut off the end on open (null when the file was clean). */
    String truncatedTail() { return truncated; }

    private final Object syncLock = new Object();
    private volatile long written;
    private long forced;

    /** Appends one event (not yet durable: see {@link #sync()}). */
    synchronized void write(byte[] json) {
        var buf = ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
        try {
            while (buf.hasRemaining()) channel.write(buf);
            written = channel.position();
        } catch (IOException e) {
            throw new UncheckedIOException("could not append to " + file, e);
        }
    }

    /** Returns once every event written before this call is on disk (one fsync shared by concurrent callers). */
    void sync() {
        long target = written;
        synchronized (syncLock) {
            if (forced >= target) return;
            long upTo = written;
            try {
                channel.force(false);
            } catch (IOException e) {
                throw new UncheckedIOException("could not fsync " + file, e);
            }
            forced = upTo;
        }
    }

    private String recover(List<JsonNode> out) throws IOException {
        byte[] all = Files.readAllBytes(file);
        int start = 0, line = 0;
        while (start < all.length) {
            int end = start;
            while (end < all.length && all[end] != '\n') end++;
            line++;
            boolean last = end >= all.length - 1;
            JsonNode node = null;
            if (end < all.length) {
                try {
                    node = Json.MAPPER.readTree(new String(all, start, end - start, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    node = null;
                }
            }
            if (node == null || !node.isObject()) {
                if (!last) throw new UserException(file + " line " + line + " is damaged (not one JSON object); "
                        + "restore the state directory from a backup or start a new run with an empty --state");
                channel.truncate(start);
                channel.force(true);
                channel.position(start);
                written = forced = start;
                return (all.length - start) + " bytes of an unacknowledged event (line " + line + ")";
            }
            out.add(node);
            start = end + 1;
        }
        channel.position(all.length);
        written = forced = all.length;
        return null;
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some file systems cannot sync a directory; the file itself is still forced on every append
        }
    }

    @Override public synchronized void close() {
        if (!channel.isOpen()) return;
        try {
            channel.close();
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
