package io.pikemix.training.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Chooses the native build of {@code nd4j-native} before ND4J loads: the {@code linux-x86_64-onednn-avx512} build
 * (oneDNN's GEMMs ran the engine's shapes 2.1–2.4× faster than the plain build on this project's machines,
 * {@code docs/dl4j-notes.md}, "Backend choice") where the CPU has the AVX-512 subsets it needs and its jar is on the
 * class path; otherwise the plain {@code linux-x86_64} build, which every x86-64 CPU runs. It sets JavaCPP's
 * {@code org.bytedeco.javacpp.platform.extension}, so it must run before the first ND4J call; a value the user set
 * (including the empty one, {@code -Dorg.bytedeco.javacpp.platform.extension=}) is left alone. JavaCPP falls back
 * to the plain platform for libraries without that build (OpenBLAS, JavaCPP itself). Nothing happens on the CUDA
 * backend.
 */
public final class NativeBackend {
    static final String PROPERTY = "org.bytedeco.javacpp.platform.extension";
    static final String FAST = "-onednn-avx512";
    private static final List<String> FLAGS = List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");

    private NativeBackend() {}

    /** Selects the fast build when possible (idempotent); returns the extension in force ("" = the plain build). */
    public static synchronized String select() {
        String set = System.getProperty(PROPERTY);
        if (set != null) return set;
        if (fastUsable()) {
            System.setProperty(PROPERTY, FAST);
            return FAST;
        }
        return "";
    }

    static boolean fastUsable() {
        ClassLoader cl = NativeBackend.class.getClassLoader();
        if (cl.getResource("org/nd4j/linalg/cpu/nativecpu/CpuBackend.class") == null) return false; // not nd4j-native
        if (cl.getResource("org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64" + FAST + "/libjnind4jcpu.so") == null)
            return false;
        if (!"Linux".equals(System.getProperty("os.name")) || !"amd64".equals(System.getProperty("os.arch")))
            return false;
        return cpuHas(FLAGS);
    }

    /** True when every flag is in /proc/cpuinfo's first "flags" line. */
    static boolean cpuHas(List<String> flags) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (!line.startsWith("flags")) continue;
                var have = java.util.Set.of(
                        line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                return have.containsAll(flags);
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }
}
