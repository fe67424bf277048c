package mmgp.models.amused;

import mmgp.graph.Graph;
import mmgp.graph.Tensor;
import mmgp.graph.WeightSet;
import mmgp.graph.nn.Activation;
import mmgp.graph.nn.Conv2d;
import mmgp.graph.nn.GroupNorm;

/**
 * diffusers' ResnetBlock2D as the VQ decoder builds it: no time embedding, pre-norm,
 * norm1 → act → conv1 → norm2 → act → (dropout: identity at inference) → conv2, plus the
 * input (through a 1×1 conv_shortcut when the channel count changes), divided by
 * output_scale_factor.
 */
final class ResnetBlock2D {
    private final GroupNorm norm1, norm2;
    private final Conv2d conv1, conv2, convShortcut;
    private final Activation activation;
    private final float outputScaleFactor;

    ResnetBlock2D(WeightSet weights, String name, int in, int out, int groups, float eps, String actFn, float outputScaleFactor) {
        this.norm1 = GroupNorm.load(weights, name + ".norm1", in, groups, eps);
        this.conv1 = Conv2d.load(weights, name + ".conv1", in, out, 3);
        this.norm2 = GroupNorm.load(weights, name + ".norm2", out, groups, eps);
        this.conv2 = Conv2d.load(weights, name + ".conv2", out, out, 3);
        this.convShortcut = in != out ? Conv2d.load(weights, name + ".conv_shortcut", in, out, 1) : null;
        this.activation = activation(actFn);
        this.outputScaleFactor = outputScaleFactor;
    }

    Tensor forward(Graph g, Tensor input) {
        Tensor h = norm1.forward(g, input, activation);
        h = conv1.forward(g, h);
        h = norm2.forward(g, h, activation);
        h = conv2.forward(g, h);
        Tensor shortcut = convShortcut != null ? convShortcut.forward(g, input) : input;
        Tensor out = g.add(shortcut, h);
        return outputScaleFactor == 1f ? out : g.scale(out, 1f / outputScaleFactor);
    }

    /** diffusers' get_activation for the names {@link VqConfig} accepts. */
    static Activation activation(String actFn) {
        return switch (actFn) {
            case "silu", "swish" -> Activation.SILU;
            case "gelu" -> Activation.GELU; // nn.GELU(): the exact erf form
            case "relu" -> Activation.RELU;
            default -> throw new IllegalArgumentException("unsupported act_fn \"" + actFn + "\"");
        };
    }
}
