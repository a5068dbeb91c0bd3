"""One place that maps the engine's typed errors to HTTP statuses: JSON for the API, a page for people."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from xianfeng.engine import errors
from xianfeng.engine.services.attachments import size_text

from . import error_text

STATUS: dict[type[errors.XianfengError], int] = {
    errors.NotAuthenticated: 401,
    errors.NotAllowed: 403,
    errors.NotFound: 404,
    errors.StaleSubmission: 409,
    errors.TaskNotReady: 409,
    errors.InstanceTooDeep: 409,
    errors.TokenInvalid: 410,
    errors.TooManyAttempts: 429,
    errors.FormInvalid: 422,
    errors.RuleViolation: 422,
    errors.DiagramInvalid: 422,
    errors.ScriptError: 500,
    errors.ServiceTaskError: 500,
    errors.ReplayMismatch: 500,
    errors.DatabaseNotReady: 503,
    errors.StepContended: 503,
}


def status_of(error: errors.XianfengError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]  # type: ignore[index]
    return 400


def title_of(code: str) -> str:
    """A short sentence for people, in the page's language."""
    titles = {
        "not_authenticated": _("请先登录"),
        "not_allowed": _("您没有权限执行此操作"),
        "not_found": _("找不到该内容"),
        "stale_submission": _("内容已被他人更新，请刷新后重试"),
        "task_not_ready": _("该待办已不可办理"),
        "instance_too_deep": _("流程实例已达到安全深度上限，请联系管理员"),
        "token_invalid": _("该链接无效、已使用或已过期"),
        "too_many_attempts": _("尝试次数过多，请稍后再试"),
        "step_contended": _("同时办理的事项较多，未能保存，请重新提交"),
        "form_invalid": _("表单填写有误，请按提示修改"),
        "rule_violation": _("不符合办理规则"),
        "diagram_invalid": _("流程图有误，未保存"),
        "script_error": _("流程图中的脚本出错，请联系管理员"),
        "service_task_error": _("系统任务执行失败，请联系管理员"),
        "replay_mismatch": _("历史回放不一致"),
    }
    return titles.get(code, _("操作失败"))


def http_title(status: int) -> str:
    """An HTTP error's name for people, in the page's language (never Werkzeug's English)."""
    titles = {
        400: _("请求有误，请返回后重试"),
        403: _("您没有权限执行此操作"),
        404: _("找不到该页面"),
        405: _("不支持此操作方式"),
        409: _("内容已被他人更新，请刷新后重试"),
        413: _("提交的内容过大"),
        429: _("尝试次数过多，请稍后再试"),
        500: _("系统出错，请稍后重试或联系管理员"),
        503: _("系统暂不可用，请稍后再试"),
    }
    return titles.get(status, _("操作失败"))


def error_body(error: errors.XianfengError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if isinstance(error, errors.FormInvalid):
        body["errors"] = error.errors
        body["errors_zh"] = error.errors_zh
    elif error.params:
        body["details"] = error.params
    return body


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _retry_headers(error: errors.XianfengError) -> dict[str, str]:
    """When the same request may be made again (too many attempts, a step that met others)."""
    if isinstance(error, errors.TooManyAttempts):
        return {"Retry-After": str(error.params.get("retry_after", 1))}
    if isinstance(error, errors.StepContended):
        return {"Retry-After": "1"}
    return {}


def register(app: Flask) -> None:
    @app.errorhandler(errors.XianfengError)
    def _typed(error: errors.XianfengError) -> Any:
        status = status_of(error)
        headers = _retry_headers(error)
        if wants_json():
            return jsonify(error_body(error)), status, headers
        page = render_template(
            "error.html",
            title=title_of(error.code),
            error=error,
            status=status,
            detail=error_text.detail(error),
        )
        return page, status, headers

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Any:
        message = _("页面已过期或来源不明（CSRF 校验失败），请刷新后重试")
        return render_template("error.html", title=message, error=None, status=400), 400

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(error: RequestEntityTooLarge) -> Any:
        limit = size_text(int(app.config["MAX_CONTENT_LENGTH"]))
        message = _("提交的内容过大（合计不超过 %(limit)s），请减少或压缩附件后重试", limit=limit)
        if wants_json():
            return jsonify(code="request_entity_too_large", message=message), 413
        return render_template("error.html", title=message, error=None, status=413), 413

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        if wants_json():
            body: dict[str, Any] = {
                "code": (error.name or "error").lower().replace(" ", "_"),
                "message": error.description or error.name,
            }
            extra = getattr(error, "data", None)
            if isinstance(extra, dict) and extra.get("messages"):
                body["errors"] = extra["messages"]
            return jsonify(body), error.code or 500
        return render_template(
            "error.html", title=http_title(error.code or 500), error=None, status=error.code
        ), error.code or 500
