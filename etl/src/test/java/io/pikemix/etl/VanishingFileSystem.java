package io.pikemix.etl;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local file system under the test-only scheme {@code vanish:} ({@code fs.vanish.impl}), with one hook: the
 * first {@link #open} of a file registered with {@link #deleteOnOpen} deletes that file for real, then opens it as
 * the local file system does, which finds it gone. That is a file deleted after the ETL listed it (planning) and
 * before a task read it, at a moment fixed by the test rather than by a race. Tasks run in the test's JVM
 * ({@code local[N]}), so the registry is a static set.
 */
public final class VanishingFileSystem extends RawLocalFileSystem {
    public static final String SCHEME = "vanish";
    private static final Set<String> DOOMED = ConcurrentHashMap.newKeySet();

    /** The next open of {@code file} (a local path) deletes it first. */
    static void deleteOnOpen(java.nio.file.Path file) {
        DOOMED.add(file.toAbsolutePath().toString());
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        String local = pathToFile(f).getAbsolutePath();
        if (DOOMED.remove(local)) Files.delete(java.nio.file.Path.of(local));
        return super.open(f, bufferSize);
    }
}
