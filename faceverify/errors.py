"""Engine errors: a machine-readable code and a Chinese sentence for the user."""

from __future__ import annotations

# What the user should do, per error code. The web layer may show these as they are.
MESSAGES: dict[str, str] = {
    "bad_image": "无法读取这张图片，请重新拍摄或上传清晰的照片（JPG 或 PNG）。",
    "too_large": "图片太大，请上传不超过规定大小的照片。",
    "no_face": "照片中未检测到人脸，请正对镜头、露出完整面部后重新拍摄。",
    "multiple_faces": "照片中有多张人脸，请确保画面中只有本人后重新拍摄。",
    "face_too_small": "人脸太小，请靠近镜头，让面部占据画面的大部分后重新拍摄。",
    "too_dark": "光线太暗，请在明亮处正对光源重新拍摄。",
    "too_blurred": "照片太模糊，请保持不动、对准焦点后重新拍摄。",
    "not_frontal": "请正对镜头，不要侧脸、仰头或低头，然后重新拍摄。",
}


class FaceError(Exception):
    """Base class: ``code`` is stable for programs, ``message`` is shown to users."""

    def __init__(
        self, code: str, message: str | None = None, detail: str | None = None
    ):
        self.code = code
        self.message = message or MESSAGES.get(code, "图片处理失败，请重试。")
        # A finer machine-readable reason (e.g. "too_large" under "bad_image").
        self.detail = detail
        super().__init__(f"{code}: {self.message}")


class EnrolError(FaceError):
    """The photo cannot serve as a reference (建模失败)."""


class FrameError(FaceError):
    """One camera frame cannot be read; the verifier's state is left unchanged."""
