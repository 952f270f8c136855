package io.pikemix.etl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's {@code file:} file system without forks and without {@code .crc} side files, for local runs
 * ({@code fs.file.impl}, set by {@link #configure}). Without Hadoop's native library, {@link RawLocalFileSystem}
 * sets every new file's permissions by forking {@code chmod} — 70 forks and several seconds for the embedded
 * corpus — and the default {@code LocalFileSystem} writes a {@code .name.crc} beside every file. This class
 * sets permissions through java.nio instead; cluster file systems (HDFS, S3A) are untouched.
 */
public final class LocalFileSystem extends RawLocalFileSystem {
    /** The Hadoop setting that selects this class for {@code file:} paths. */
    public static final String KEY = "fs.file.impl";

    @Override
    public void setPermission(Path p, FsPermission permission) throws IOException {
        var perms = EnumSet.noneOf(PosixFilePermission.class);
        short mode = permission.toShort();
        PosixFilePermission[] bits = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
        };
        for (int i = 0; i < bits.length; i++) if ((mode & (1 << i)) != 0) perms.add(bits[i]);
        Files.setPosixFilePermissions(pathToFile(p).toPath(), perms);
    }

    /** Selects this class for {@code file:} paths in a Spark configuration (applies to driver and executors). */
    public static void configure(org.apache.spark.SparkConf conf) {
        conf.setIfMissing("spark.hadoop." + KEY, LocalFileSystem.class.getName());
        conf.setIfMissing("spark.hadoop.fs.file.impl.disable.cache", "false");
    }
}
