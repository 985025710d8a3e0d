/** Roles (LIS short names) that manage a course: they get the instructor features. */
export const INSTRUCTOR_ROLES = ['Instructor', 'Administrator', 'TeachingAssistant', 'ContentDeveloper'];
