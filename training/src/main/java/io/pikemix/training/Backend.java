package io.pikemix.training;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Which ND4J backend this JVM runs on: {@code nd4j-native} (CPU, the default build) or {@code nd4j-cuda-11.6}
 * (the {@code -Pcuda} Maven profile). Recorded in every run directory so a result says where it came from.
 */
public final class Backend {
    private Backend() {}

    /** e.g. {@code "CpuBackend"} or {@code "CudaBackend"}, plus the data type and the number of devices. */
    public static String describe() {
        var backend = Nd4j.getBackend();
        return backend.getClass().getSimpleName() + " (" + Nd4j.dataType() + ", devices "
                + Nd4j.getAffinityManager().getNumberOfDevices() + ")";
    }
}
