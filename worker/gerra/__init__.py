"""Client for the Gerra Datasets API: typed models, retries, downloads, decisions."""

from worker.gerra.client import GerraClient
from worker.gerra.decisions import PostOutcome, post_decision
from worker.gerra.download import DownloadResult, download_dataset
from worker.gerra.errors import (
    AuthenticationError,
    DownloadError,
    DownloadSizeMismatch,
    ForbiddenError,
    GerraAPIError,
    GerraError,
    GerraTransportError,
    InsufficientDiskSpace,
    InvalidRequestError,
    NotFoundError,
    NotPendingError,
    RateLimitedError,
    ServerError,
    SignedUrlRejected,
    redact,
)
from worker.gerra.models import (
    Dataset,
    DatasetPage,
    DatasetStatus,
    DataType,
    Iteration,
    IterationHistory,
    Stats,
    StatusChange,
)
from worker.gerra.retry import RetryPolicy

__all__ = [
    "AuthenticationError",
    "DataType",
    "Dataset",
    "DatasetPage",
    "DatasetStatus",
    "DownloadError",
    "DownloadResult",
    "DownloadSizeMismatch",
    "ForbiddenError",
    "GerraAPIError",
    "GerraClient",
    "GerraError",
    "GerraTransportError",
    "InsufficientDiskSpace",
    "InvalidRequestError",
    "Iteration",
    "IterationHistory",
    "NotFoundError",
    "NotPendingError",
    "PostOutcome",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "SignedUrlRejected",
    "Stats",
    "StatusChange",
    "download_dataset",
    "post_decision",
    "redact",
]
