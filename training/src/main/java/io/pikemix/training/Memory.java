package io.pikemix.training;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process facts for run directories and benchmarks: peak resident memory, the git commit. */
public final class Memory {
    private Memory() {}

    /** VmHWM of /proc/self/status (peak RSS) in bytes, or -1 where there is none. */
    public static long peakRssBytes() {
        return status("VmHWM:");
    }

    /** VmRSS (current RSS) in bytes, or -1. */
    public static long rssBytes() {
        return status("VmRSS:");
    }

    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith(field)) return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** {@code git rev-parse HEAD} in pike.home (or the working directory), or "unknown". */
    public static String gitCommit() {
        try {
            var pb = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true);
            String home = System.getProperty("pike.home");
            if (home != null) pb.directory(new java.io.File(home));
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 && out.matches("[0-9a-f]{40}") ? out : "unknown";
        } catch (IOException | InterruptedException e) {
            return "unknown";
        }
    }
}
