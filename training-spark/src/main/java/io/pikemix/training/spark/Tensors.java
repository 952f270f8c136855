package io.pikemix.training.spark;

import io.pikemix.format.Checks;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Named float tensors as plain Java arrays: what a broadcast carries (parameters, AdamW moments) and what
 * {@code treeAggregate} sums (weighted gradients or parameters). Order and shapes are the model's
 * ({@link io.pikemix.training.GptModel#specs}); nothing here holds an ND4J array, so it serialises anywhere.
 */
public final class Tensors implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String[] names;
    private final long[][] shapes;
    private final float[][] values;

    private Tensors(String[] names, long[][] shapes, float[][] values) {
        this.names = names;
        this.shapes = shapes;
        this.values = values;
    }

    /** A copy of the arrays' values, in the map's order. */
    public static Tensors of(Map<String, INDArray> arrays) {
        int n = arrays.size(), i = 0;
        var names = new String[n];
        var shapes = new long[n][];
        var values = new float[n][];
        for (var e : arrays.entrySet()) {
            names[i] = e.getKey();
            shapes[i] = e.getValue().shape();
            values[i] = e.getValue().reshape(e.getValue().length()).toFloatVector(); // a copy
            i++;
        }
        return new Tensors(names, shapes, values);
    }

    /** Zeros of the same names and shapes. */
    public Tensors zerosLike() {
        var v = new float[values.length][];
        for (int i = 0; i < v.length; i++) v[i] = new float[values[i].length];
        return new Tensors(names, shapes, v);
    }

    /** this += w · other (same names and shapes); returns this. Accumulates in float, as the trainer does. */
    public Tensors addScaled(Tensors other, double w) {
        Checks.require(
                other.names.length == names.length, "cannot add %d tensors to %d", other.names.length, names.length);
        float fw = (float) w;
        for (int i = 0; i < values.length; i++) {
            Checks.require(
                    names[i].equals(other.names[i]) && values[i].length == other.values[i].length,
                    "tensor %d is '%s' here and '%s' there",
                    i,
                    names[i],
                    other.names[i]);
            float[] a = values[i], b = other.values[i];
            for (int j = 0; j < a.length; j++) a[j] += fw * b[j];
        }
        return this;
    }

    /** Scales every value by w; returns this. */
    public Tensors scale(double w) {
        float fw = (float) w;
        for (float[] a : values) for (int j = 0; j < a.length; j++) a[j] *= fw;
        return this;
    }

    /** Writes the values into live arrays of the same names (in place: views such as AdamW's state stay valid). */
    public void assignTo(Map<String, INDArray> live) {
        for (int i = 0; i < names.length; i++) {
            INDArray target = live.get(names[i]);
            Checks.require(
                    target != null && target.length() == values[i].length,
                    "no array '%s' of %d values to assign to",
                    names[i],
                    values[i].length);
            try (INDArray source = Nd4j.createFromArray(values[i]).reshape(target.shape())) {
                target.assign(source);
            }
        }
    }

    /** New ND4J arrays (caller owns them). */
    public Map<String, INDArray> toArrays() {
        var out = new LinkedHashMap<String, INDArray>();
        for (int i = 0; i < names.length; i++)
            out.put(names[i], Nd4j.createFromArray(values[i]).reshape(shapes[i]));
        return out;
    }

    public int size() {
        return names.length;
    }

    /** Values of tensor i (live). */
    float[] values(int i) {
        return values[i];
    }

    /** Largest |a − b| over all values (same names and shapes). */
    public double maxAbsDiff(Tensors other) {
        double max = 0;
        for (int i = 0; i < values.length; i++)
            for (int j = 0; j < values[i].length; j++) max = Math.max(max, Math.abs(values[i][j] - other.values[i][j]));
        return max;
    }
}
