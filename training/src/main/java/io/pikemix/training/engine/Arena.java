package io.pikemix.training.engine;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The engine's activation memory: one flat buffer per named activation, allocated once for {@code maxRows}
 * rows; a pass over n ≤ maxRows rows uses the leading n/maxRows of each as a view of its own shape.
 */
final class Arena implements AutoCloseable {
    final int maxRows;
    private final Map<String, INDArray> buffers = new HashMap<>();

    Arena(int maxRows) {
        this.maxRows = maxRows;
    }

    /** The leading view of buffer {@code name} with {@code shape}, whose size is proportional to {@code rows}. */
    INDArray take(String name, int rows, long... shape) {
        return take(name, DataType.FLOAT, rows, shape);
    }

    INDArray take(String name, DataType type, int rows, long... shape) {
        long size = 1;
        for (long d : shape) size *= d;
        long capacity = size / rows * maxRows;
        INDArray buffer = buffers.computeIfAbsent(name, n -> Nd4j.create(type, capacity));
        if (buffer.length() < capacity)
            throw new IllegalStateException(name + " buffer too small: " + buffer.length() + " < " + capacity);
        return buffer.get(NDArrayIndex.interval(0, size)).reshape('c', true, shape);
    }

    long bytes() {
        long b = 0;
        for (INDArray a : buffers.values()) b += a.length() * a.dataType().width();
        return b;
    }

    @Override
    public void close() {
        for (INDArray a : buffers.values()) if (a.closeable()) a.close();
        buffers.clear();
    }
}
