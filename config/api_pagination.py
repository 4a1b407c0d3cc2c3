from rest_framework.pagination import CursorPagination as BaseCursorPagination


class CursorPagination(BaseCursorPagination):
    """Stable pages however many rows are added meanwhile; ?page_size= up to 200. The order is the
    view's (or ?ordering=)."""

    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-pk"
