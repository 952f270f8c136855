package io.pikemix.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file in {@code --state} that the service rebuilds from the event log on every start ({@link FrozenStates},
 * {@link HistoryFile}): truncated when opened, written and read at positions, never fsynced.
 */
final class ScratchFile implements AutoCloseable {
    final Path path;
    private final FileChannel channel;

    ScratchFile(Path path) {
        this.path = path;
        try {
            channel = FileChannel.open(
                    path,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("could not open " + path, e);
        }
    }

    /** Writes all of {@code buf} at {@code at}; returns the bytes written. */
    long write(ByteBuffer buf, long at) {
        long written = 0;
        try {
            while (buf.hasRemaining()) written += channel.write(buf, at + written);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + path, e);
        }
        return written;
    }

    /** Reads up to {@code dst.remaining()} bytes at {@code at} (−1 at the end of the file). */
    int read(ByteBuffer dst, long at) throws IOException {
        return channel.read(dst, at);
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
