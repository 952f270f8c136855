package io.pikemix.service;

import io.pikemix.mixer.DomainStats;
import io.pikemix.mixer.WeightChange;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;

/**
 * {@code STATE/history.part}: the weight changes of the frozen steps as the elements of the JSON array
 * {@code GET /v1/weights/history} answers with ({@code {...}\n,{...}\n,...}), appended as steps freeze, so the
 * history is streamed from disk instead of kept in memory. Derived data like {@link FrozenStates}: emptied on open,
 * rewritten while the event log replays, never forced. Appends happen under the core's lock; {@link #open(long)}
 * may be read by any thread (positional reads of bytes already written).
 */
final class HistoryFile implements Closeable {
    static final String FILE = "history.part";

    private final ScratchFile file;
    private long length;
    private long entries;

    HistoryFile(Path dir) {
        this.file = new ScratchFile(dir.resolve(FILE));
    }

    void append(WeightChange c) {
        byte[] json = Json.object(g -> {
            g.writeNumberField("step", c.step());
            g.writeStringField("strategy", c.strategy());
            g.writeStringField("cause", c.cause());
            Json.array(g, "weights", c.weights());
            DomainStats s = c.stats();
            if (s != null) {
                g.writeObjectFieldStart("stats");
                Json.array(g, "grad_norm_sq", s.gradNormSq());
                Json.array(g, "grad_var", s.gradVar());
                if (s.loss() != null) Json.array(g, "loss", s.loss());
                g.writeEndObject();
            }
        });
        var buf = ByteBuffer.allocate(json.length + 2);
        if (entries > 0) buf.put((byte) ',');
        buf.put(json).put((byte) '\n').flip();
        length += file.write(buf, length);
        entries++;
    }

    /** Bytes written so far (all of them complete entries). */
    long length() {
        return length;
    }

    long entries() {
        return entries;
    }

    /** The first {@code length} bytes (a {@link #length()} taken earlier), read from the file as they are consumed. */
    InputStream open(long length) {
        InputStream in = Channels.newInputStream(new ReadableByteChannel() {
            long position;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                if (position >= length) return -1;
                int want = (int) Math.min(dst.remaining(), length - position);
                int n = file.read(dst.slice().limit(want), position);
                if (n < 0) throw new IOException(file.path + " ended at " + position + " of " + length + " bytes");
                dst.position(dst.position() + n);
                position += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return file.isOpen();
            }

            @Override
            public void close() {}
        });
        return new java.io.BufferedInputStream(in, 1 << 16);
    }

    @Override
    public void close() {
        file.close();
    }
}
