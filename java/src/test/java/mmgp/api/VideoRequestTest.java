package mmgp.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A video request's optional start image. */
class VideoRequestTest {
    @Test
    void aStartImageIsAnImageFileOrNothing() {
        VideoRequest text = new VideoRequest("waves", VideoOptions.defaults());
        assertThat(text.startImage()).isInstanceOf(Media.None.class);
        assertThat(text.startImageFile()).isNull();
        VideoRequest fromImage = text.withStartImage(Path.of("first.png"));
        assertThat(fromImage.startImage()).isEqualTo(Media.image(Path.of("first.png")));
        assertThat(fromImage.startImageFile()).isEqualTo(Path.of("first.png"));
        assertThat(fromImage.withStartImage(null).startImageFile()).isNull();
        assertThatThrownBy(() -> new VideoRequest("waves", VideoOptions.defaults(), Media.video(Path.of("clip.mp4"))))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("image"));
        assertThatThrownBy(() -> new VideoRequest("waves", VideoOptions.defaults(), null)).isInstanceOf(NullPointerException.class);
    }
}
