from lifecert.notices.markup import render_markdown


def test_markdown_becomes_headings_lists_links_and_tables() -> None:
    html = render_markdown(
        "## 标题\n\n**加粗** 与 [办事指南](https://hrss.gd.gov.cn/guide)\n\n"
        "- 一\n- 二\n\n| 项目 | 说明 |\n|---|---|\n| 认证 | 每年一次 |\n"
    )
    assert "<h2>标题</h2>" in html
    assert "<strong>加粗</strong>" in html
    assert "<li>一</li>" in html
    assert "<td>每年一次</td>" in html
    assert 'href="https://hrss.gd.gov.cn/guide"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_scripts_handlers_styles_and_images_are_removed() -> None:
    html = render_markdown(
        "<script>alert(1)</script>\n\n"
        '<p onclick="steal()" style="color:red">文字</p>\n\n'
        "![图](https://example.org/x.png)\n\n"
        '<iframe src="https://example.org"></iframe>\n\n'
        "<style>body{display:none}</style>"
    )
    for banned in ("<script", "alert(1)", "onclick", "style", "<img", "<iframe"):
        assert banned not in html
    assert "文字" in html


def test_javascript_and_data_links_lose_their_target() -> None:
    html = render_markdown(
        "[点我](javascript:alert(1)) [数据](data:text/html;base64,PHNjcmlwdD4=)"
    )
    assert "javascript:" not in html
    assert "data:" not in html
    assert "点我" in html
